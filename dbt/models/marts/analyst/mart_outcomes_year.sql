-- Outcomes of ended episodes per förbund, insats and exit year (domain brief §4), without
-- persons: the reported exit reason beside the registers' view of the month after exit, egen
-- försörjning at 6/12/24 months, and public support in the 12 months before inskrivning vs the
-- 12 months after exit.
--
-- Denominators are per measure: an episode whose follow-up month lies beyond the complete
-- data is "not yet followable" there and leaves that measure's denominator only (it still
-- counts at the earlier points). Before/after sums are taken over the episodes with both
-- windows complete, so before and after describe the same people.

with

episodes as (

    select * from {{ ref('fct_episodes') }}
    where register_status = 'avslutad'

),

status_priority as (

    -- which statuses count as work or studies is kept in one place, the seed
    select status, is_work_or_studies from {{ ref('status_priority') }}

),

flagged as (

    select
        episodes.*,
        coalesce(after_exit.is_work_or_studies, false) as is_direct_work_or_studies,
        episodes.has_complete_before_window and episodes.has_complete_after_window as has_complete_windows

    from episodes
    left join status_priority as after_exit on after_exit.status = episodes.status_after_exit

),

counted as (

    select
        forbund_id,
        insats_id,
        exit_year,
        count(*) as ended,
        count(*) filter (where exit_reason = 'arbete') as exit_work,
        count(*) filter (where exit_reason = 'arbete_subventionerat') as exit_subsidised_work,
        count(*) filter (where exit_reason = 'studier') as exit_studies,
        count(*) filter (where exit_reason = 'arbetssokande') as exit_job_seeking,
        count(*) filter (where exit_reason = 'sjukskrivning') as exit_sickness,
        -- shown on its own: these episodes are censored at exit and leave every follow-up
        count(*) filter (where exit_reason = 'avliden') as exit_deceased,
        -- everything else, a missing reason included, so the seven always add up to ended
        count(*) filter (
            where exit_reason is null
               or exit_reason not in ('arbete', 'arbete_subventionerat', 'studier', 'arbetssokande', 'sjukskrivning',
                                      'avliden')
        ) as exit_other,
        count(status_after_exit) as followable_after_exit,
        count(*) filter (where is_direct_work_or_studies) as direct_work_or_studies,
        count(status_6m) as followable_6m,
        count(*) filter (where is_self_supporting_6m) as self_supporting_6m,
        count(status_12m) as followable_12m,
        count(*) filter (where is_self_supporting_12m) as self_supporting_12m,
        count(status_24m) as followable_24m,
        count(*) filter (where is_self_supporting_24m) as self_supporting_24m,
        count(*) filter (where has_complete_windows) as episodes_with_complete_windows,
        -- a sum over no episodes is 0, not unknown: episodes_with_complete_windows says how many
        coalesce(sum(support_fte_before) filter (where has_complete_windows), 0) as support_fte_before,
        coalesce(sum(support_fte_after) filter (where has_complete_windows), 0) as support_fte_after,
        coalesce(sum(support_fk_sek_before) filter (where has_complete_windows), 0) as support_fk_sek_before,
        coalesce(sum(support_fk_sek_after) filter (where has_complete_windows), 0) as support_fk_sek_after,
        coalesce(sum(support_af_sek_before) filter (where has_complete_windows), 0) as support_af_sek_before,
        coalesce(sum(support_af_sek_after) filter (where has_complete_windows), 0) as support_af_sek_after,
        coalesce(sum(support_kommun_sek_before) filter (where has_complete_windows), 0) as support_kommun_sek_before,
        coalesce(sum(support_kommun_sek_after) filter (where has_complete_windows), 0) as support_kommun_sek_after

    from flagged
    group by forbund_id, insats_id, exit_year

)

select
    forbund_id,
    insats_id,
    exit_year::integer as exit_year,
    ended,
    exit_work,
    exit_subsidised_work,
    exit_studies,
    exit_job_seeking,
    exit_sickness,
    exit_deceased,
    exit_other,
    followable_after_exit,
    direct_work_or_studies,
    -- null, not 0, when nobody is followable yet: there is no share to show
    direct_work_or_studies::float8 / nullif(followable_after_exit, 0) as share_direct_work_or_studies,
    followable_6m,
    self_supporting_6m,
    self_supporting_6m::float8 / nullif(followable_6m, 0) as share_self_supporting_6m,
    followable_12m,
    self_supporting_12m,
    self_supporting_12m::float8 / nullif(followable_12m, 0) as share_self_supporting_12m,
    followable_24m,
    self_supporting_24m,
    self_supporting_24m::float8 / nullif(followable_24m, 0) as share_self_supporting_24m,
    episodes_with_complete_windows,
    support_fte_before::float8 as support_fte_before,
    support_fte_after::float8 as support_fte_after,
    {{ sek('support_fk_sek_before') }} as support_fk_sek_before,
    {{ sek('support_fk_sek_after') }} as support_fk_sek_after,
    {{ sek('support_af_sek_before') }} as support_af_sek_before,
    {{ sek('support_af_sek_after') }} as support_af_sek_after,
    {{ sek('support_kommun_sek_before') }} as support_kommun_sek_before,
    {{ sek('support_kommun_sek_after') }} as support_kommun_sek_after

from counted
