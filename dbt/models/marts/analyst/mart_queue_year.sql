-- The queue per insats and year (domain brief §4 "Flows"): the year's inskrivningar, how many
-- came through the queue and their median days from kodatum to inskrivning; beside them the
-- queue at the year's end (waiting on 31 December, the median and longest wait among them) and
-- the stays that left the queue without starting during the year, from mart_register_month
-- (every register version). A median per year cannot be computed from monthly medians, so the
-- starters' median is counted here. A year-end figure is null when December's queue is not
-- known, the year's leavers unless every month of it is known. Person-free.

with

entries as (

    select
        forbund_id,
        insats_id,
        cast(entry_year as integer) as year,
        cast(count(*) as integer) as entries,
        cast(count(waiting_days) as integer) as entries_with_queue,
        cast(percentile_cont(0.5) within group (order by waiting_days) as double precision) as median_wait_days

    from {{ ref('fct_episodes') }}
    where entered_on is not null
    group by forbund_id, insats_id, entry_year

),

register_months as (

    select
        forbund_id,
        insats_id,
        year,
        month_start,
        waiting_end,
        left_queue,
        median_current_wait_days,
        max_current_wait_days,
        cast(extract(month from month_start) as integer) = 12 as is_december

    from {{ ref('mart_register_month') }}

),

register_years as (

    select
        forbund_id,
        insats_id,
        year,
        -- the year's leavers only when each of its twelve months is known
        case when count(left_queue) = 12 then sum(left_queue) end as left_queue_without_start,
        max(waiting_end) filter (where is_december) as waiting_year_end,
        max(median_current_wait_days) filter (where is_december) as median_current_wait_days_year_end,
        max(max_current_wait_days) filter (where is_december) as max_current_wait_days_year_end

    from register_months
    group by forbund_id, insats_id, year

)

select
    coalesce(entries.forbund_id, register_years.forbund_id) as forbund_id,
    coalesce(entries.insats_id, register_years.insats_id) as insats_id,
    cast(coalesce(entries.year, register_years.year) as integer) as year,
    cast(coalesce(entries.entries, 0) as integer) as entries,
    cast(coalesce(entries.entries_with_queue, 0) as integer) as entries_with_queue,
    entries.median_wait_days,
    cast(register_years.waiting_year_end as integer) as waiting_year_end,
    cast(register_years.median_current_wait_days_year_end as double precision) as median_current_wait_days_year_end,
    cast(register_years.max_current_wait_days_year_end as integer) as max_current_wait_days_year_end,
    cast(register_years.left_queue_without_start as integer) as left_queue_without_start

from entries
full outer join register_years
    on register_years.forbund_id = entries.forbund_id
    and register_years.insats_id = entries.insats_id
    and register_years.year = entries.year
