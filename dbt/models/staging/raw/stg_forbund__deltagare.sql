-- Generated from src/utfall/ingest/contracts.py by `utfall contracts export`; do not edit.
-- Participation episodes; each file is a full snapshot of one förbund's register: the rows of current loads only (the latest correction of each
-- period, or each förbund's newest snapshot), columns renamed to English.

with

source as (

    select * from {{ source('raw', 'deltagare') }}

),

current_loads as (

    select load_id, forbund_id, extracted_on
    from {{ ref('base_ledger__loads') }}

),

renamed as (

    select
        source.person_id,
        source.forbund_id,
        source.insats_id,
        source.kodatum as queued_on,
        source.inskrivningsdatum as entered_on,
        source.avslutsdatum as exited_on,
        source.kon as sex,
        source.fodelsear as birth_year,
        source.hemkommun as home_kommun_code,
        source.utbildningsniva as education_level,
        source.status as register_status,
        source.avslutsorsak as exit_reason,
        current_loads.extracted_on,
        source.load_id,
        source.source_line

    from source
    inner join current_loads on source.load_id = current_loads.load_id

)

select * from renamed
