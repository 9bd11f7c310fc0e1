-- Generated from src/utfall/ingest/contracts.py by `utfall contracts export`; do not edit.
-- Budget, cost, coach FTE and goals per insats and year: the rows of current loads only (the latest correction of each
-- period, or each förbund's newest snapshot), columns renamed to English.

with

source as (

    select * from {{ source('raw', 'insats_ar') }}

),

current_loads as (

    select load_id, forbund_id, extracted_on
    from {{ ref('base_ledger__loads') }}

),

renamed as (

    select
        source.insats_id,
        source.ar as year,
        source.budget_sek,
        source.kostnad_sek as cost_sek,
        source.arsarbetare_coach as coach_fte,
        source.mal_andel_arbete as goal_share_work,
        source.mal_andel_studier as goal_share_studies,
        source.mal_andel_sysselsattning as goal_share_occupation,
        source.mal_deltagare_per_coach as goal_participants_per_coach,
        current_loads.forbund_id,
        current_loads.extracted_on,
        source.load_id,
        source.source_line

    from source
    inner join current_loads on source.load_id = current_loads.load_id

)

select * from renamed
