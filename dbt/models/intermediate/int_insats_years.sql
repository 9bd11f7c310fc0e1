-- Each insats's plan and resources per year (insats_ar, the förbund's newest snapshot), for the
-- marts that read budget, cost, coach FTE or goals: marts read intermediate, not staging.

select
    forbund_id,
    insats_id,
    year,
    budget_sek,
    cost_sek,
    coach_fte,
    goal_share_work,
    goal_share_studies,
    goal_share_occupation,
    goal_participants_per_coach

from {{ ref('stg_forbund__insats_ar') }}
