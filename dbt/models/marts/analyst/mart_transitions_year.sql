-- Transition matrix of ended episodes (domain brief §4, before/after), without persons: how
-- many went from each status before the insats to each status after it, per förbund, insats
-- and exit year.
--
-- Before = the status in the month before the inskrivning month (status_before_entry); after =
-- the status 12 months after the exit month (status_12m). Twelve months, not the month after
-- exit, because the matrix is about lasting change, and it is the same point as the
-- 12-month follow-up in mart_outcomes_year. Only episodes where both points are known count:
-- one whose before month lies outside the delivered data, or whose 12-month point is not yet
-- followable, is left out rather than shown as an "unknown" row, so every cell is a real
-- transition and the matrix total equals followable_12m minus those with no known start.

with

episodes as (

    select * from {{ ref('fct_episodes') }}
    where register_status = 'avslutad'
      and status_before_entry is not null
      and status_12m is not null

)

select
    forbund_id,
    insats_id,
    exit_year::integer as exit_year,
    status_before_entry as status_before,
    status_12m as status_after,
    count(*) as episodes

from episodes
group by forbund_id, insats_id, exit_year, status_before_entry, status_12m
