-- Generated from src/utfall/ingest/contracts.py by `utfall contracts export`; do not edit.
-- Boendestöd hours delivered per person and month (socialpsykiatri): the rows of current loads only (the latest correction of each
-- period, or each förbund's newest snapshot), columns renamed to English.

with

source as (

    select * from {{ source('raw', 'kommun_boendestod') }}

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
        source.timmar as hours,
        source.load_id,
        source.source_line

    from source
    inner join current_loads on source.load_id = current_loads.load_id

)

select * from renamed
