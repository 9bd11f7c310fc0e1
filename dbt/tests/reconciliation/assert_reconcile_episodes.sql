{{ config(meta={'dq_check': 'warehouse_reconcile_episodes'}, fail_calc='coalesce(sum(abs(in_staging - in_model)), 0)') }}
-- Episodes in core and marts = episodes in the förbund registers (staging), per förbund and
-- insats, counted straight from stg_forbund__deltagare (not through int_episodes):
--   episodes    core.fct_episodes rows
--   ended       mart_outcomes_year.ended summed over exit years = register rows 'avslutad'
--   new_entries mart_flows_month.new_entries summed over the months = register inskrivningar
--               inside the register spine's months (the mart has one row per insats in the insatser
--               register, so an episode of an insats missing from it is lost here)
--   entries     mart_national_year.new_entries (per förbund, all years) = register inskrivningar
-- failures = episodes missing or extra. Rows closed as felregistrering are no participation
-- (macros/participation.sql) and are left out of the register side too.

with

registers as (

    select * from {{ ref('stg_forbund__deltagare') }}
    where {{ is_participation('exit_reason') }}

),

period as (

    select min(month_start) as first_month, max(month_start) as last_month
    from {{ ref('int_register_month_spine') }}

),

staged as (

    select
        forbund_id,
        insats_id,
        count(*) as episodes,
        count(*) filter (where register_status = 'avslutad') as ended,
        count(*) filter (
            where entered_on >= period.first_month
              and entered_on < period.last_month + interval '1 month'
        ) as new_entries
    from registers
    cross join period
    group by forbund_id, insats_id

),

core as (

    select forbund_id, insats_id, count(*) as episodes
    from {{ ref('fct_episodes') }}
    group by forbund_id, insats_id

),

outcomes as (

    select forbund_id, insats_id, sum(ended) as ended
    from {{ ref('mart_outcomes_year') }}
    group by forbund_id, insats_id

),

flows as (

    select forbund_id, insats_id, sum(new_entries) as new_entries
    from {{ ref('mart_flows_month') }}
    group by forbund_id, insats_id

),

national as (

    select forbund_id, sum(new_entries) as new_entries
    from {{ ref('mart_national_year') }}
    where forbund_id != 'riket'
    group by forbund_id

),

staged_forbund as (

    select forbund_id, count(entered_on) as new_entries
    from registers
    group by forbund_id

),

compared as (

    select coalesce(s.forbund_id, m.forbund_id) as forbund_id, coalesce(s.insats_id, m.insats_id) as insats_id,
           'episodes' as measure, coalesce(s.episodes, 0) as in_staging, coalesce(m.episodes, 0) as in_model
    from staged as s full outer join core as m using (forbund_id, insats_id)

    union all

    select coalesce(s.forbund_id, m.forbund_id), coalesce(s.insats_id, m.insats_id),
           'ended', coalesce(s.ended, 0), coalesce(m.ended, 0)
    from staged as s full outer join outcomes as m using (forbund_id, insats_id)

    union all

    select coalesce(s.forbund_id, m.forbund_id), coalesce(s.insats_id, m.insats_id),
           'new_entries', coalesce(s.new_entries, 0), coalesce(m.new_entries, 0)
    from staged as s full outer join flows as m using (forbund_id, insats_id)

    union all

    select coalesce(s.forbund_id, m.forbund_id), null,
           'national_new_entries', coalesce(s.new_entries, 0), coalesce(m.new_entries, 0)
    from staged_forbund as s full outer join national as m using (forbund_id)

)

select * from compared
where in_staging != in_model
