-- Waiting time per insats and year of inskrivning: how many of the year's inskrivningar came
-- through the queue, and their median days from kodatum to inskrivning (domain brief §4).
-- A median per year cannot be computed from mart_flows_month's monthly medians, so it is
-- its own mart. Person-free.

with

entries as (

    select forbund_id, insats_id, entry_year, waiting_days
    from {{ ref('fct_episodes') }}
    where entered_on is not null

)

select
    forbund_id,
    insats_id,
    cast(entry_year as integer) as year,
    cast(count(*) as integer) as entries,
    cast(count(waiting_days) as integer) as entries_with_queue,
    cast(percentile_cont(0.5) within group (order by waiting_days) as double precision) as median_wait_days

from entries
group by forbund_id, insats_id, entry_year
