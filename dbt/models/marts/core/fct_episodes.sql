-- One row per participation episode with its outcomes (engineers' tier). Definitions:
-- domain brief §4 and the doc blocks in models/docs. An episode closed as avliden is
-- censored at exit: no follow-up point and no after window (macros/participation.sql). The
-- outcome at exit is read within the exit year (see the doc block cohorts).

with

period as (

    select * from {{ ref('int_data_period') }}

),

episodes as (

    select
        int_episodes.*,
        period.first_complete_month,
        period.last_complete_month,
        -- time to first work is followed past exit, to the end of complete data or to death
        least(
            coalesce(case when {{ is_censored_at_exit('int_episodes.exit_reason') }} then int_episodes.exit_month end,
                     period.last_complete_month),
            period.last_complete_month
        ) as observed_until
    from {{ ref('int_episodes') }} as int_episodes
    cross join period

),

panel as (

    select * from {{ ref('fct_person_months') }}

),

{#- The two 12-month windows, defined once: the join reads them and the sums filter on them
    (the join also reads the months from inskrivning to observed_until, for first work). -#}
{%- set before_window = "panel.month_start between episodes.entry_month - interval '12 month'"
                        ~ " and episodes.entry_month - interval '1 month'" %}
{%- set after_window = "panel.month_start between episodes.exit_month + interval '1 month'"
                       ~ " and episodes.exit_month + interval '12 month'" %}
windows as (

    select
        episodes.episode_id,
        {%- for side, window in [('before', before_window), ('after', after_window)] %}
        {%- for column in ['support_fk_sek', 'support_af_sek', 'support_kommun_sek', 'support_fte'] %}
        sum(panel.{{ column }}) filter (where {{ window }}) as {{ column }}_{{ side }},
        {%- endfor %}
        {%- endfor %}
        min(panel.month_start) filter (
            where panel.month_start between episodes.entry_month and episodes.observed_until
              and (panel.is_work or panel.is_subsidised_work)
        ) as first_work_month

    from episodes
    inner join panel
        on panel.person_id = episodes.person_id
        and (
            {{ before_window }}
            or panel.month_start between episodes.entry_month and episodes.observed_until
            or {{ after_window }}
        )
    group by episodes.episode_id

),

{#- The follow-up points after exit, defined once: column suffix and months after the exit month. -#}
{%- set follow_ups = [('after_exit', 1), ('6m', 6), ('12m', 12), ('24m', 24)] %}

joined as (

    select
        episodes.*,
        windows.support_fk_sek_before,
        windows.support_af_sek_before,
        windows.support_kommun_sek_before,
        windows.support_fte_before,
        windows.support_fk_sek_after,
        windows.support_af_sek_after,
        windows.support_kommun_sek_after,
        windows.support_fte_after,
        windows.first_work_month,
        before_entry.status as status_before_entry,
        {%- for suffix, months in follow_ups %}
        follow_up_{{ suffix }}.status as status_{{ suffix }},
        follow_up_{{ suffix }}.is_self_supporting as is_self_supporting_{{ suffix }},
        {%- endfor %}
        episodes.entry_month - interval '12 month' >= episodes.first_complete_month
            and episodes.entry_month - interval '1 month' <= episodes.last_complete_month as has_complete_before_window,
        episodes.exit_month + interval '12 month' <= episodes.last_complete_month
            and not {{ is_censored_at_exit('episodes.exit_reason') }} as has_complete_after_window

    from episodes
    left join windows on windows.episode_id = episodes.episode_id
    -- a month outside the complete data finds no row: not (yet) followable
    left join panel as before_entry
        on before_entry.person_id = episodes.person_id
        and before_entry.month_start = episodes.entry_month - interval '1 month'
        and before_entry.month_start between episodes.first_complete_month and episodes.last_complete_month
    {%- for suffix, months in follow_ups %}
    left join panel as follow_up_{{ suffix }}
        on follow_up_{{ suffix }}.person_id = episodes.person_id
        and follow_up_{{ suffix }}.month_start = episodes.exit_month + interval '{{ months }} month'
        and follow_up_{{ suffix }}.month_start between episodes.first_complete_month and episodes.last_complete_month
        -- after a death there is nothing to follow: censored, not an outcome
        and not {{ is_censored_at_exit('episodes.exit_reason') }}
        {%- if suffix == 'after_exit' %}
        -- the outcome at exit is as known at the end of the exit year (the cut-off of the year's
        -- evaluation): a December exit's January lies after it, so it is not followable at exit
        and {{ year_of('follow_up_after_exit.month_start') }} = {{ year_of('episodes.exit_month') }}
        {%- endif %}
    {%- endfor %}

)

select
    episode_id,
    forbund_id,
    insats_id,
    person_id,
    sex,
    birth_year::integer as birth_year,
    age_at_entry::integer as age_at_entry,
    home_kommun_code,
    education_level,
    queued_on,
    entered_on,
    exited_on,
    {{ year_of('entered_on') }} as entry_year,
    {{ year_of('exited_on') }} as exit_year,
    register_status,
    exit_reason,
    waiting_days::integer as waiting_days,
    months_in_insats::integer as months_in_insats,
    status_before_entry,
    status_after_exit,
    is_self_supporting_after_exit,
    status_6m,
    is_self_supporting_6m,
    status_12m,
    is_self_supporting_12m,
    status_24m,
    is_self_supporting_24m,
    coalesce(has_complete_before_window, false) as has_complete_before_window,
    {{ sek("case when has_complete_before_window then coalesce(support_fk_sek_before, 0) end") }} as support_fk_sek_before,
    {{ sek("case when has_complete_before_window then coalesce(support_af_sek_before, 0) end") }} as support_af_sek_before,
    {{ sek("case when has_complete_before_window then coalesce(support_kommun_sek_before, 0) end") }}
        as support_kommun_sek_before,
    case when has_complete_before_window then least(1.0, coalesce(support_fte_before, 0)) end as support_fte_before,
    coalesce(has_complete_after_window, false) as has_complete_after_window,
    {{ sek("case when has_complete_after_window then coalesce(support_fk_sek_after, 0) end") }} as support_fk_sek_after,
    {{ sek("case when has_complete_after_window then coalesce(support_af_sek_after, 0) end") }} as support_af_sek_after,
    {{ sek("case when has_complete_after_window then coalesce(support_kommun_sek_after, 0) end") }}
        as support_kommun_sek_after,
    case when has_complete_after_window then least(1.0, coalesce(support_fte_after, 0)) end as support_fte_after,
    case
        when not coalesce(entry_month between first_complete_month and last_complete_month, false) then null
        when first_work_month is not null then {{ dbt.datediff('entry_month', 'first_work_month', 'month') }}
        else {{ dbt.datediff('entry_month', 'observed_until', 'month') }}
    end::integer as months_to_first_work,
    case
        when not coalesce(entry_month between first_complete_month and last_complete_month, false) then null
        else first_work_month is null
    end as first_work_censored,
    -- already in work the month before inskrivning: left out of the time-to-work curve
    status_before_entry in ('arbete', 'arbete_subventionerat') as is_working_before_entry

from joined
