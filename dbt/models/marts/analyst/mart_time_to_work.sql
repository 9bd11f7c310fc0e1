-- Time to first work from inskrivning (domain brief §4): a Kaplan–Meier curve per insats and
-- evaluation year, person-free: the curve as known at 31 December of the year (entries up to
-- then, work found up to then, observation ending there at the latest). One row per month
-- since the inskrivning month, from 0 to the longest time observed.
--
-- Convention (months_to_first_work = t from fct_episodes): the episode is at risk in months
-- 0..t; if it found work (not censored) that is the event at t; a censored episode (end of the
-- complete data, or death, without work) still counts at risk at t and leaves after it. Work
-- after exit counts: people are followed past the insats. Episodes without
-- months_to_first_work (still waiting, or begun before the delivered data) are left out, and
-- so are those already in work the month before inskrivning: their first job did not come
-- after the insats began. They are counted beside the curve (working_before_entry).

with

-- the evaluation years: each curve is as known at its year's end (the cut-off)
years as (

    select distinct year, cast(make_date(year, 12, 1) as date) as cutoff_month
    from {{ ref('int_month_spine') }}

),

entries as (

    select
        forbund_id,
        insats_id,
        cast(date_trunc('month', entered_on) as date) as entry_month,
        months_to_first_work,
        first_work_censored,
        coalesce(is_working_before_entry, false) as is_working_before_entry
    from {{ ref('fct_episodes') }}
    where months_to_first_work is not null

),

-- each episode as known at each cut-off it has begun by: work found after the cut-off has not
-- happened yet, and observation ends there at the latest
curve_episodes as (

    select
        entries.forbund_id,
        entries.insats_id,
        years.year,
        entries.is_working_before_entry,
        cast(case
            when not entries.first_work_censored
             and entries.months_to_first_work <= {{ dbt.datediff('entries.entry_month', 'years.cutoff_month', 'month') }}
                then entries.months_to_first_work
            else least(entries.months_to_first_work,
                       {{ dbt.datediff('entries.entry_month', 'years.cutoff_month', 'month') }})
        end as integer) as months_to_first_work,
        entries.first_work_censored
            or entries.months_to_first_work > {{ dbt.datediff('entries.entry_month', 'years.cutoff_month', 'month') }}
            as first_work_censored
    from entries
    inner join years on entries.entry_month <= years.cutoff_month

),

left_out as (

    select forbund_id, insats_id, year, count(*) filter (where is_working_before_entry) as working_before_entry
    from curve_episodes
    group by forbund_id, insats_id, year

),

episodes as (

    select * from curve_episodes
    where not is_working_before_entry

),

curve_months as (

    select
        forbund_id,
        insats_id,
        year,
        {{ integers_between('0', 'max(months_to_first_work)') }} as month_since_entry
    from episodes
    group by forbund_id, insats_id, year

),

counted as (

    select
        curve_months.forbund_id,
        curve_months.insats_id,
        curve_months.year,
        curve_months.month_since_entry,
        count(*) as at_risk,
        count(*) filter (
            where episodes.months_to_first_work = curve_months.month_since_entry and not episodes.first_work_censored
        ) as events,
        count(*) filter (
            where episodes.months_to_first_work = curve_months.month_since_entry and episodes.first_work_censored
        ) as censored

    from curve_months
    -- every month of the curve is at most the longest time, so at least one episode is at risk
    inner join episodes
        on episodes.forbund_id = curve_months.forbund_id
        and episodes.insats_id = curve_months.insats_id
        and episodes.year = curve_months.year
        and episodes.months_to_first_work >= curve_months.month_since_entry
    group by curve_months.forbund_id, curve_months.insats_id, curve_months.year, curve_months.month_since_entry

),

survival as (

    select
        *,
        -- a factor 0 (all at risk found work) keeps the product 0
        {{ product_over('1.0 - events::float8 / at_risk',
                        'partition by forbund_id, insats_id, year order by month_since_entry
                         rows between unbounded preceding and current row') }} as survival

    from counted

),

final as (

    select
        survival.forbund_id,
        survival.insats_id,
        survival.year::integer as year,
        survival.month_since_entry::integer as month_since_entry,
        survival.at_risk::integer as at_risk,
        survival.events::integer as events,
        survival.censored::integer as censored,
        survival.survival::float8 as survival,
        (1 - survival.survival)::float8 as share_in_work,
        left_out.working_before_entry::integer as working_before_entry

    from survival
    inner join left_out
        on left_out.forbund_id = survival.forbund_id
        and left_out.insats_id = survival.insats_id
        and left_out.year = survival.year

)

select * from final
