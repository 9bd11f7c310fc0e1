-- Generated from src/utfall/ingest/contracts.py by `utfall contracts export`; do not edit.
-- The förbund's insatser (programmes); full snapshot: the rows of current loads only (the latest correction of each
-- period, or each förbund's newest snapshot), columns renamed to English.

with

source as (

    select * from {{ source('raw', 'insatser') }}

),

current_loads as (

    select load_id, forbund_id, extracted_on
    from {{ ref('base_ledger__loads') }}

),

renamed as (

    select
        source.insats_id,
        source.forbund_id,
        source.namn as insats_name,
        source.metod as method,
        source.insatsagare as operator,
        source.startdatum as started_on,
        source.slutdatum as ended_on,
        source.malgrupp as target_group,
        current_loads.extracted_on,
        source.load_id,
        source.source_line

    from source
    inner join current_loads on source.load_id = current_loads.load_id

)

select * from renamed
