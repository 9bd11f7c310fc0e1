-- Work and studies at exit and after, as Socialstyrelsen counts them (domain brief §4): per
-- förbund, insats, exit year and follow-up point, the followable ended episodes in categories
-- that add up to the followable: arbete (without lönestöd), arbete med lönestöd, arbete och
-- studier, studier, and varken arbete eller studier broken down by the month's status (ohälsa,
-- arbetsmarknadsstöd, ekonomiskt bistånd, ingen registrerad försörjning). The points are those
-- of mart_outcomes_year (followable exactly where its status is); keyed by exit cohort with all
-- delivered data (which cohort an evaluation reads: the doc block `cohorts`).

{%- set points = [('after_exit', 1), ('6m', 6), ('12m', 12), ('24m', 24)] %}

with

episodes as (

    select * from {{ ref('fct_episodes') }}
    where register_status = 'avslutad'

),

panel as (

    select person_id, month_start, status, is_work, is_subsidised_work, is_studies
    from {{ ref('fct_person_months') }}

),

followed as (

    {%- for suffix, months in points %}
    select
        episodes.forbund_id,
        episodes.insats_id,
        episodes.exit_year,
        '{{ suffix }}' as follow_up,
        {{ months }} as months_after_exit,
        panel.is_work or panel.is_subsidised_work as is_in_work,
        panel.is_subsidised_work,
        panel.is_studies,
        panel.status
    from episodes
    inner join panel
        on panel.person_id = episodes.person_id
        and panel.month_start = {{ month_after('episodes.exited_on', months) }}
    -- followable exactly where fct_episodes has the point's status (complete data, not censored)
    where episodes.status_{{ suffix }} is not null
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

categorised as (

    select
        forbund_id,
        insats_id,
        exit_year,
        follow_up,
        months_after_exit,
        case
            when is_in_work and is_studies then 'arbete_och_studier'
            when is_subsidised_work then 'arbete_med_lonestod'
            when is_in_work then 'arbete'
            when is_studies then 'studier'
            else 'varken_' || status
        end as category
    from followed

)

select
    forbund_id,
    insats_id,
    cast(exit_year as integer) as exit_year,
    follow_up,
    cast(months_after_exit as integer) as months_after_exit,
    category,
    cast(count(*) as integer) as episodes

from categorised
group by forbund_id, insats_id, exit_year, follow_up, months_after_exit, category
