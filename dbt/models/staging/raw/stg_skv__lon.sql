-- Generated from src/utfall/ingest/contracts.py by `utfall contracts export`; do not edit.
-- Salary per person, month and employer sector (arbetsgivardeklaration på individnivå): the rows of current loads only (the latest correction of each
-- period, or each förbund's newest snapshot), columns renamed to English.

with

source as (

    select * from {{ source('raw', 'skv_lon') }}

),

current_loads as (

    select load_id, forbund_id, extracted_on
    from {{ ref('base_ledger__loads') }}

),

renamed as (

    select
        source.person_id,
        source.manad as month_start,
        source.arbetsgivare_sektor as employer_sector,
        source.bruttolon_sek as gross_salary_sek,
        source.skatteavdrag_sek as tax_deducted_sek,
        source.load_id,
        source.source_line

    from source
    inner join current_loads on source.load_id = current_loads.load_id

)

select * from renamed
