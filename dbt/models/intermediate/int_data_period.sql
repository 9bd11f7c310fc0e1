-- The months the monthly deliveries cover. One row.
--   first_month          earliest month any monthly feed delivered
--   last_month           latest month any monthly feed delivered (the panel runs to here)
--   last_complete_month  latest month every delivered monthly feed covers: follow-up after
--                        it is "not yet followable" (a feed never delivered does not hold it back;
--                        the quality gate is what complains about a missing feed)

with

monthly as (

    select feed, min(month_start) as first_month, max(month_start) as last_month
    from {{ ref('stg_ledger__loads') }}
    where month_start is not null
    group by feed

)

select
    min(first_month) as first_month,
    max(last_month) as last_month,
    min(last_month) as last_complete_month

from monthly
