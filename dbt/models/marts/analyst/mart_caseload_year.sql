-- Caseload judged over the whole year (domain brief §4 "Caseload"): per insats and year, in how
-- many of the year's months the participants active at month end per coach FTE were above the
-- goal (insats_ar: at most N per coach; IPS aims at 20), beside the year's highest and mean
-- caseload. A month without reported FTE has no caseload and is not judged. Passiv beside it:
-- of the enrolled, those with status passiv in the months a register version was extracted
-- (mart_register_month), per coach FTE; months without a version are not counted, never as 0.
-- Person-free.

with

months as (

    select forbund_id, insats_id, year, month_start, coach_fte, active_per_coach_fte
    from {{ ref('mart_flows_month') }}

),

register_months as (

    select forbund_id, insats_id, month_start, status_passive_end
    from {{ ref('mart_register_month') }}

),

goals as (

    select forbund_id, insats_id, year, goal_participants_per_coach
    from {{ ref('mart_insats_plan_year') }}

)

select
    months.forbund_id,
    months.insats_id,
    cast(months.year as integer) as year,
    cast(count(months.active_per_coach_fte) as integer) as months_judged,
    cast(count(*) filter (
        where months.active_per_coach_fte > goals.goal_participants_per_coach
    ) as integer) as months_above_goal,
    cast(max(goals.goal_participants_per_coach) as double precision) as goal_participants_per_coach,
    cast(max(months.active_per_coach_fte) as double precision) as max_active_per_coach_fte,
    cast(avg(months.active_per_coach_fte) as double precision) as mean_active_per_coach_fte,
    cast(count(register_months.status_passive_end) as integer) as months_passive_known,
    cast(max(register_months.status_passive_end) as integer) as max_passive_end,
    cast(avg(register_months.status_passive_end / nullif(months.coach_fte, 0)) as double precision)
        as mean_passive_per_coach_fte

from months
left join goals
    on goals.forbund_id = months.forbund_id
    and goals.insats_id = months.insats_id
    and goals.year = months.year
left join register_months
    on register_months.forbund_id = months.forbund_id
    and register_months.insats_id = months.insats_id
    and register_months.month_start = months.month_start
group by months.forbund_id, months.insats_id, months.year
