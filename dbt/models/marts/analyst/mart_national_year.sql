-- The headline measures of every förbund side by side, per calendar year, plus one national
-- row per year (forbund_id = 'riket'), without persons.
--
-- Year: for participants_active the years an episode was active in; for new_entries the
-- year of inskrivning; for the outcome measures the exit year (they come from
-- mart_outcomes_year, so the two marts always agree).
-- 'riket' sums the förbund's counts and recomputes its shares from those sums: a share is
-- never averaged over förbund (a small förbund would weigh as much as a large one).

{#- Outcome counts summed from mart_outcomes_year per förbund, then over förbund for riket. -#}
{%- set outcome_counts = ['ended', 'direct_work_or_studies', 'followable_after_exit', 'followable_12m', 'self_supporting_12m', 'support_fte_before', 'support_fte_after', 'episodes_with_complete_windows'] %}
with

episodes as (

    select * from {{ ref('fct_episodes') }}
    where entered_on is not null

),

extracts as (

    -- the register's extract date: an open episode is active up to it
    select episode_id, extracted_on from {{ ref('int_episodes') }}

),

outcomes as (

    select * from {{ ref('mart_outcomes_year') }}

),

active_years as (

    -- an episode is active in every calendar year from inskrivning to avslut (an open one,
    -- aktiv or passiv, to the register's extract date)
    select
        episodes.forbund_id,
        episodes.person_id,
        {{ integers_between(
            year_of('episodes.entered_on'),
            year_of('coalesce(episodes.exited_on, extracts.extracted_on, episodes.entered_on)')
        ) }} as year

    from episodes
    left join extracts on extracts.episode_id = episodes.episode_id

),

participants as (

    -- persons, not episodes: one person in two of the förbund's insatser counts once
    select forbund_id, year::integer as year, count(distinct person_id) as participants_active
    from active_years
    group by forbund_id, year

),

entries as (

    select forbund_id, entry_year as year, count(*) as new_entries
    from episodes
    group by forbund_id, entry_year

),

exits as (

    select
        forbund_id,
        exit_year as year,
        {%- for column in outcome_counts %}
        sum({{ column }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}

    from outcomes
    group by forbund_id, exit_year

),

forbund_years as (

    select forbund_id, year from participants
    union
    select forbund_id, year from entries
    union
    select forbund_id, year from exits

),

per_forbund as (

    select
        forbund_years.year,
        forbund_years.forbund_id,
        coalesce(participants.participants_active, 0) as participants_active,
        coalesce(entries.new_entries, 0) as new_entries,
        coalesce(exits.ended, 0) as ended,
        coalesce(exits.direct_work_or_studies, 0) as direct_work_or_studies,
        coalesce(exits.followable_after_exit, 0) as followable_after_exit,
        coalesce(exits.followable_12m, 0) as followable_12m,
        coalesce(exits.self_supporting_12m, 0) as self_supporting_12m,
        coalesce(exits.support_fte_before, 0) as support_fte_before,
        coalesce(exits.support_fte_after, 0) as support_fte_after,
        coalesce(exits.episodes_with_complete_windows, 0) as episodes_with_complete_windows

    from forbund_years
    left join participants using (forbund_id, year)
    left join entries using (forbund_id, year)
    left join exits using (forbund_id, year)

),

national as (

    -- a person active in two förbund counts in both, so riket's participants_active is the
    -- sum of the förbund's (person-förbund pairs), like every other count here
    select
        year,
        'riket' as forbund_id,
        sum(participants_active) as participants_active,
        sum(new_entries) as new_entries,
        {%- for column in outcome_counts %}
        sum({{ column }}) as {{ column }}{{ "," if not loop.last }}
        {%- endfor %}

    from per_forbund
    group by year

),

combined as (

    select * from per_forbund
    union all
    select * from national

)

select
    year::integer as year,
    forbund_id,
    participants_active::bigint as participants_active,
    new_entries::bigint as new_entries,
    ended::bigint as ended,
    direct_work_or_studies::bigint as direct_work_or_studies,
    followable_after_exit::bigint as followable_after_exit,
    -- shares from the row's own counts: for riket that is the summed counts
    direct_work_or_studies::float8 / nullif(followable_after_exit, 0) as share_direct_work_or_studies,
    followable_12m::bigint as followable_12m,
    self_supporting_12m::bigint as self_supporting_12m,
    self_supporting_12m::float8 / nullif(followable_12m, 0) as share_self_supporting_12m,
    support_fte_before::float8 as support_fte_before,
    support_fte_after::float8 as support_fte_after,
    episodes_with_complete_windows::bigint as episodes_with_complete_windows

from combined
