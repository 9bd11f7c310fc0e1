{{ config(meta={'dq_check': 'warehouse_outcome_categories_add_up'}) }}
-- The work-and-studies categories of each follow-up point add up to the episodes followable
-- there (mart_outcomes_year), and work or studies at the point after exit to its
-- direct_work_or_studies. Returns the keys where they do not.

{%- set points = ['after_exit', '6m', '12m', '24m'] %}

with

categories as (

    select
        forbund_id, insats_id, exit_year, follow_up,
        sum(episodes) as followable,
        sum(episodes) filter (where category not like 'varken_%') as work_or_studies
    from {{ ref('mart_outcome_categories_year') }}
    group by forbund_id, insats_id, exit_year, follow_up

),

outcomes as (

    {%- for point in points %}
    select forbund_id, insats_id, exit_year, '{{ point }}' as follow_up, followable_{{ point }} as followable,
           {{ 'direct_work_or_studies' if point == 'after_exit' else 'null' }} as work_or_studies
    from {{ ref('mart_outcomes_year') }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}

)

select outcomes.*, categories.followable as categorised, categories.work_or_studies as categorised_work_or_studies
from outcomes
left join categories
    on categories.forbund_id = outcomes.forbund_id
    and categories.insats_id = outcomes.insats_id
    and categories.exit_year = outcomes.exit_year
    and categories.follow_up = outcomes.follow_up
where coalesce(categories.followable, 0) != outcomes.followable
   or (outcomes.work_or_studies is not null
       and coalesce(categories.work_or_studies, 0) != outcomes.work_or_studies)
