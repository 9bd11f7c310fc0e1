-- Time to first work from inskrivning (domain brief §4): a Kaplan–Meier curve per insats,
-- person-free. One row per month since the inskrivning month, from 0 to the longest time
-- observed in the insats.
--
-- Convention (months_to_first_work = t from fct_episodes): the episode is at risk in months
-- 0..t; if it found work (not censored) that is the event at t; a censored episode (end of the
-- complete data, or death, without work) still counts at risk at t and leaves after it. Work
-- after exit counts: people are followed past the insats. Episodes without
-- months_to_first_work (still waiting, or begun before the delivered data) are left out, and
-- so are those already in work the month before inskrivning: their first job did not come
-- after the insats began. They are counted beside the curve (working_before_entry).

with

curve_episodes as (

    select
        forbund_id,
        insats_id,
        months_to_first_work,
        first_work_censored,
        coalesce(is_working_before_entry, false) as is_working_before_entry
    from {{ ref('fct_episodes') }}
    where months_to_first_work is not null

),

left_out as (

    select forbund_id, insats_id, count(*) filter (where is_working_before_entry) as working_before_entry
    from curve_episodes
    group by forbund_id, insats_id

),

episodes as (

    select * from curve_episodes
    where not is_working_before_entry

),

curve_months as (

    select
        forbund_id,
        insats_id,
        {{ integers_between('0', 'max(months_to_first_work)') }} as month_since_entry
    from episodes
    group by forbund_id, insats_id

),

counted as (

    select
        curve_months.forbund_id,
        curve_months.insats_id,
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
        and episodes.months_to_first_work >= curve_months.month_since_entry
    group by curve_months.forbund_id, curve_months.insats_id, curve_months.month_since_entry

),

survival as (

    select
        *,
        -- a factor 0 (all at risk found work) keeps the product 0
        {{ product_over('1.0 - events::float8 / at_risk',
                        'partition by forbund_id, insats_id order by month_since_entry
                         rows between unbounded preceding and current row') }} as survival

    from counted

),

final as (

    select
        survival.forbund_id,
        survival.insats_id,
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

)

select * from final
