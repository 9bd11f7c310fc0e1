{{ config(meta={'dq_check': 'warehouse_outcomes_match_episodes'}) }}
-- The person-free marts must not lose or invent episodes: per förbund, insats and exit year,
-- mart_outcomes_year's counts equal those of core.fct_episodes, and the transition matrix
-- holds exactly the ended episodes with both a known status before and a known status at
-- 12 months (so never more than followable_12m). Returns the keys where they differ.

with

episodes as (

    select
        forbund_id,
        insats_id,
        exit_year,
        count(*) as ended,
        count(status_after_exit) as followable_after_exit,
        count(status_12m) as followable_12m,
        count(*) filter (where status_before_entry is not null and status_12m is not null) as in_matrix

    from {{ ref('fct_episodes') }}
    where register_status = 'avslutad'
    group by forbund_id, insats_id, exit_year

),

outcomes as (

    select forbund_id, insats_id, exit_year, ended, followable_after_exit, followable_12m
    from {{ ref('mart_outcomes_year') }}

),

matrix as (

    select forbund_id, insats_id, exit_year, sum(episodes) as in_matrix
    from {{ ref('mart_transitions_year') }}
    group by forbund_id, insats_id, exit_year

)

select
    coalesce(episodes.forbund_id, outcomes.forbund_id) as forbund_id,
    coalesce(episodes.insats_id, outcomes.insats_id) as insats_id,
    coalesce(episodes.exit_year, outcomes.exit_year) as exit_year,
    episodes.ended as episodes_ended,
    outcomes.ended as mart_ended,
    episodes.in_matrix as episodes_in_matrix,
    matrix.in_matrix as mart_in_matrix,
    outcomes.followable_12m

from episodes
full outer join outcomes
    on outcomes.forbund_id = episodes.forbund_id
    and outcomes.insats_id = episodes.insats_id
    and outcomes.exit_year = episodes.exit_year
left join matrix
    on matrix.forbund_id = coalesce(episodes.forbund_id, outcomes.forbund_id)
    and matrix.insats_id = coalesce(episodes.insats_id, outcomes.insats_id)
    and matrix.exit_year = coalesce(episodes.exit_year, outcomes.exit_year)
where episodes.ended is distinct from outcomes.ended
   or episodes.followable_after_exit is distinct from outcomes.followable_after_exit
   or episodes.followable_12m is distinct from outcomes.followable_12m
   or coalesce(matrix.in_matrix, 0) != episodes.in_matrix
   or coalesce(matrix.in_matrix, 0) > outcomes.followable_12m
