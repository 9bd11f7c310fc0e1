-- Generated from src/utfall/ingest/contracts.py by `utfall contracts export`; do not edit.
-- Ekonomiskt bistånd (försörjningsstöd) per person and month: the rows of current loads only (the latest correction of each
-- period, or each förbund's newest snapshot), columns renamed to English.

with

source as (

    select * from {{ source('raw', 'kommun_bistand') }}

),

current_loads as (

    select load_id, forbund_id, extracted_on
    from {{ ref('base_ledger__loads') }}

),

renamed as (

    select
        source.person_id,
        source.manad as month_start,
        source.kommun as kommun_code,
        source.belopp_sek as assistance_sek,
        source.forsorjningshinder as support_obstacle,
        source.load_id,
        source.source_line

    from source
    inner join current_loads on source.load_id = current_loads.load_id

)

select * from renamed
