-- The months the monthly deliveries cover. One row.
--   first_month           earliest month any monthly feed delivered (the panel starts here)
--   last_month            latest month any monthly feed delivered (the panel runs to here)
--   first_complete_month  the latest of the feeds' first months: from here every delivered feed runs
--   last_complete_month   the month before the first gap in any feed (a month refused or never sent),
--                         and at most the earliest of the feeds' last months
-- Windows (12 months before inskrivning, follow-up points) count only inside the complete
-- months; outside them a measure is "not yet followable" or null. A feed never delivered at
-- all does not hold the period back: the quality gate is what complains about it.

with

delivered as (

    select distinct feed, month_start
    from {{ ref('stg_ledger__loads') }}
    where month_start is not null

),

per_feed as (

    select feed, min(month_start) as first_month, max(month_start) as last_month
    from delivered
    group by feed

),

bounds as (

    select
        min(first_month) as first_month,
        max(first_month) as first_complete_month,
        max(last_month) as last_month,
        min(last_month) as earliest_last_month
    from per_feed

),

gaps as (

    select min(expected.month_start::date) as first_gap
    from per_feed
    cross join bounds
    cross join {{ month_series('bounds.first_complete_month', "per_feed.last_month - interval '1 month'") }}
        as expected(month_start)
    where not exists (
        select 1 from delivered
        where delivered.feed = per_feed.feed and delivered.month_start = expected.month_start::date
    )

)

select
    bounds.first_month::date as first_month,
    bounds.first_complete_month::date as first_complete_month,
    bounds.last_month::date as last_month,
    -- least() skips a NULL gap
    least(bounds.earliest_last_month, gaps.first_gap - interval '1 month')::date as last_complete_month

from bounds
cross join gaps
