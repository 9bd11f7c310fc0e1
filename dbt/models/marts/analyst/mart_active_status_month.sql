-- Status of the people enrolled now (domain brief §4 "Status of the enrolled"): per insats and
-- month, the episodes in the insats (register status aktiv or passiv) on the month's last day,
-- and how many of them were in work (with or without lönestöd), studies, both or neither that
-- month by the panel's rules. The IPS process measure (work while still in the insats) and
-- Socialstyrelsen's headline (of ~900 participants, 111 = 12 % in work incl. lönebidrag).
--
-- One row for every insats in the registers and every month of the register spine, like
-- mart_flows_month, whose active_end equals enrolled. Enrolled needs only the registers; the
-- status columns need every monthly feed, so outside the complete months (int_data_period)
-- they are null: unknown, not 0.

with

insatser as (

    select distinct forbund_id, insats_id
    from {{ ref('int_insatser') }}

),

months as (

    select
        spine.month_start,
        spine.year,
        cast(spine.month_start + interval '1 month' - interval '1 day' as date) as month_end,
        spine.month_start between period.first_complete_month and period.last_complete_month as is_complete
    from {{ ref('int_register_month_spine') }} as spine
    cross join {{ ref('int_data_period') }} as period

),

episodes as (

    select forbund_id, insats_id, person_id, entered_on, exited_on
    from {{ ref('fct_episodes') }}
    where entered_on is not null

),

panel as (

    select person_id, month_start, is_work, is_subsidised_work, is_studies
    from {{ ref('fct_person_months') }}

),

enrolled as (

    select
        episodes.forbund_id,
        episodes.insats_id,
        months.month_start,
        coalesce(panel.is_work or panel.is_subsidised_work, false) as is_in_work,
        coalesce(panel.is_subsidised_work, false) as is_in_subsidised_work,
        coalesce(panel.is_studies, false) as is_in_studies

    from episodes
    inner join months
        on episodes.entered_on <= months.month_end
        and (episodes.exited_on is null or episodes.exited_on > months.month_end)
    left join panel
        on panel.person_id = episodes.person_id
        and panel.month_start = months.month_start

),

counted as (

    select
        forbund_id,
        insats_id,
        month_start,
        count(*) as enrolled,
        count(*) filter (where is_in_work) as in_work,
        count(*) filter (where is_in_subsidised_work) as in_subsidised_work,
        count(*) filter (where is_in_studies) as in_studies,
        count(*) filter (where is_in_work and is_in_studies) as in_work_and_studies,
        count(*) filter (where not is_in_work and not is_in_studies) as in_neither
    from enrolled
    group by forbund_id, insats_id, month_start

),

final as (

    select
        insatser.forbund_id,
        insatser.insats_id,
        months.month_start,
        cast(months.year as integer) as year,
        cast(coalesce(counted.enrolled, 0) as integer) as enrolled,
        {%- for column in ['in_work', 'in_subsidised_work', 'in_studies', 'in_work_and_studies', 'in_neither'] %}
        cast(case when months.is_complete then coalesce(counted.{{ column }}, 0) end as integer) as {{ column }},
        {%- endfor %}
        cast(case when months.is_complete then counted.in_work end as float8)
            / nullif(counted.enrolled, 0) as share_in_work

    from insatser
    cross join months
    left join counted
        on counted.forbund_id = insatser.forbund_id
        and counted.insats_id = insatser.insats_id
        and counted.month_start = months.month_start

)

select * from final
