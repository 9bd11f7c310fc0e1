-- Each insats's plan and resources per year, as the förbund reports them (insats_ar): budget,
-- cost, coach FTE and the goals the evaluation judges against. Person-free.

with

plans as (

    select * from {{ ref('int_insats_years') }}

)

select
    forbund_id,
    insats_id,
    cast(year as integer) as year,
    {{ sek('budget_sek') }} as budget_sek,
    {{ sek('cost_sek') }} as cost_sek,
    cast(coach_fte as double precision) as coach_fte,
    cast(goal_share_work as double precision) as goal_share_work,
    cast(goal_share_studies as double precision) as goal_share_studies,
    cast(goal_share_occupation as double precision) as goal_share_occupation,
    cast(goal_participants_per_coach as double precision) as goal_participants_per_coach

from plans
