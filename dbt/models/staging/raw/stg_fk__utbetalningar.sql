-- Generated from src/utfall/ingest/contracts.py by `utfall contracts export`; do not edit.
-- Försäkringskassan payments per person, month and benefit: the rows of current loads only (the latest correction of each
-- period, or each förbund's newest snapshot), columns renamed to English.

with

source as (

    select * from {{ source('raw', 'fk_utbetalningar') }}

),

current_loads as (

    select load_id, forbund_id, extracted_on
    from {{ ref('base_ledger__loads') }}

),

renamed as (

    select
        source.person_id,
        source.manad as month_start,
        source.formankod as benefit_code,
        source.omfattning as extent_pct,
        source.dagar as days_paid,
        source.belopp_sek as gross_sek,
        source.skatt_sek as tax_withheld_sek,
        source.load_id,
        source.source_line

    from source
    inner join current_loads on source.load_id = current_loads.load_id

)

select * from renamed
