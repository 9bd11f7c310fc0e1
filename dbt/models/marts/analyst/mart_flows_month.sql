-- Flows, queue, waiting time and caseload per insats and month (domain brief §4), person-free.
-- One row for every insats in the förbund registers and every month the registers or the
-- deliveries cover (int_register_month_spine: no agency delivery is needed),
-- zeros included, so flows for any period are sums over its months:
--   active at start of the period = active_start of its first month,
--   new / ended                     = sums of new_entries / ended,
--   active at end of the period     = active_end of its last month.
-- This holds because, per episode, active_end = active_start + new_entries - ended and
-- active_start of month m+1 = active_end of month m (tested in dbt/tests/assert_flows_*.sql).
--
-- Waiting at month end: put on the queue (kodatum) by the month's last day, not yet entered
-- (no inskrivning, or inskrivning after the month) and not removed. The register has no date
-- for a removal from the queue: the contract allows 'avslutad' only with an avslutsdatum, which
-- needs an inskrivning. A person taken off the queue without starting disappears from the next
-- snapshot, and since every month is recomputed from the newest snapshot, also from the months
-- they did wait. Should a register ever deliver a closed episode without inskrivning, it counts
-- as waiting until its avslutsdatum (exclusive), and not at all without a date.

with

insatser as (

    select distinct forbund_id, insats_id
    from {{ ref('int_insatser') }}

),

months as (

    select month_start, year
    from {{ ref('int_register_month_spine') }}

),

episodes as (

    select
        forbund_id,
        insats_id,
        queued_on,
        entered_on,
        exited_on,
        register_status,
        waiting_days
    from {{ ref('fct_episodes') }}

),

insats_years as (

    select forbund_id, insats_id, year, coach_fte
    from {{ ref('int_insats_years') }}

),

insats_months as (

    select
        insatser.forbund_id,
        insatser.insats_id,
        months.month_start,
        (months.month_start + interval '1 month' - interval '1 day')::date as month_end,
        months.year::integer as year

    from insatser
    cross join months

),

counted as (

    select
        insats_months.forbund_id,
        insats_months.insats_id,
        insats_months.month_start,
        insats_months.year,
        count(*) filter (
            where episodes.entered_on < insats_months.month_start
              and (episodes.exited_on is null or episodes.exited_on >= insats_months.month_start)
        ) as active_start,
        count(*) filter (
            where episodes.entered_on between insats_months.month_start and insats_months.month_end
        ) as new_entries,
        -- an avslut without inskrivning (a removal from the queue, should a register ever send
        -- one) was never active, so it is no flow out either: the months stay balanced
        count(*) filter (
            where episodes.entered_on is not null
              and episodes.exited_on between insats_months.month_start and insats_months.month_end
        ) as ended,
        count(*) filter (
            where episodes.entered_on <= insats_months.month_end
              and (episodes.exited_on is null or episodes.exited_on > insats_months.month_end)
        ) as active_end,
        count(*) filter (
            where episodes.queued_on <= insats_months.month_end
              and (episodes.entered_on is null or episodes.entered_on > insats_months.month_end)
              and (episodes.register_status <> 'avslutad' or episodes.exited_on > insats_months.month_end)
        ) as waiting_end,
        -- episodes without a queue date have no waiting days and so do not enter the median
        percentile_cont(0.5) within group (order by episodes.waiting_days) filter (
            where episodes.entered_on between insats_months.month_start and insats_months.month_end
        ) as median_wait_days

    from insats_months
    -- only episodes that touch the month (queued or entered by its end, not ended before it):
    -- every count above needs that, and it keeps the join small
    left join episodes
        on episodes.forbund_id = insats_months.forbund_id
        and episodes.insats_id = insats_months.insats_id
        and coalesce(episodes.queued_on, episodes.entered_on) <= insats_months.month_end
        and (episodes.exited_on is null or episodes.exited_on >= insats_months.month_start)
    group by
        insats_months.forbund_id,
        insats_months.insats_id,
        insats_months.month_start,
        insats_months.year

),

final as (

    select
        counted.forbund_id,
        counted.insats_id,
        counted.month_start,
        counted.year,
        counted.active_start::integer as active_start,
        counted.new_entries::integer as new_entries,
        counted.ended::integer as ended,
        counted.active_end::integer as active_end,
        counted.waiting_end::integer as waiting_end,
        counted.median_wait_days::float8 as median_wait_days,
        insats_years.coach_fte::float8 as coach_fte,
        -- caseload at the month's end; no FTE reported (or 0) gives no ratio
        (counted.active_end / nullif(insats_years.coach_fte, 0))::float8 as active_per_coach_fte

    from counted
    left join insats_years
        on insats_years.forbund_id = counted.forbund_id
        and insats_years.insats_id = counted.insats_id
        and insats_years.year = counted.year

)

select * from final
