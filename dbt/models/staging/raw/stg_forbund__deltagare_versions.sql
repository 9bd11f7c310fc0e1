-- Generated from src/utfall/ingest/contracts.py by `utfall contracts export`; do not edit.
-- Participation episodes; each file is a full snapshot of one förbund's register: the rows of every version (extract date) of each förbund's register, not
-- only the newest that stg_forbund__deltagare keeps; columns renamed to English as there.

with

source as (

    select * from {{ source('raw', 'deltagare') }}

),

versions as (

    select load_id, forbund_id, extracted_on, next_extracted_on
    from {{ ref('base_ledger__snapshot_versions') }}
    where feed = 'deltagare'

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
        versions.extracted_on,
        versions.next_extracted_on,
        source.load_id,
        source.source_line

    from source
    inner join versions on source.load_id = versions.load_id

)

select * from renamed
