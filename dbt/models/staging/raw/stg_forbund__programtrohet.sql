-- Generated from src/utfall/ingest/contracts.py by `utfall contracts export`; do not edit.
-- IPS-25 fidelity reviews: the rows of current loads only (the latest correction of each
-- period, or each förbund's newest snapshot), columns renamed to English.

with

source as (

    select * from {{ source('raw', 'programtrohet') }}

),

current_loads as (

    select load_id, forbund_id, extracted_on
    from {{ ref('base_ledger__loads') }}

),

renamed as (

    select
        source.insats_id,
        source.datum as reviewed_on,
        source.total_poang as total_score,
        source.i01 as item_01,
        source.i02 as item_02,
        source.i03 as item_03,
        source.i04 as item_04,
        source.i05 as item_05,
        source.i06 as item_06,
        source.i07 as item_07,
        source.i08 as item_08,
        source.i09 as item_09,
        source.i10 as item_10,
        source.i11 as item_11,
        source.i12 as item_12,
        source.i13 as item_13,
        source.i14 as item_14,
        source.i15 as item_15,
        source.i16 as item_16,
        source.i17 as item_17,
        source.i18 as item_18,
        source.i19 as item_19,
        source.i20 as item_20,
        source.i21 as item_21,
        source.i22 as item_22,
        source.i23 as item_23,
        source.i24 as item_24,
        source.i25 as item_25,
        current_loads.forbund_id,
        current_loads.extracted_on,
        source.load_id,
        source.source_line

    from source
    inner join current_loads on source.load_id = current_loads.load_id

)

select * from renamed
