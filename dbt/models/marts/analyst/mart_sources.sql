-- What the warehouse holds from each delivery agreement (the current loads): per monthly feed
-- the months covered; per register feed and förbund the newest extract. The evaluation's
-- method section names its sources from here. No persons, only files and months.

with

loads as (

    select * from {{ ref('int_current_loads') }}

)

select
    feed,
    -- the förbund of a register snapshot; null for the agencies' monthly feeds
    forbund_id,
    min(month_start) as first_month,
    max(month_start) as last_month,
    cast(count(distinct month_start) as bigint) as months,
    max(extracted_on) as extracted_on,
    cast(count(*) as bigint) as files,
    cast(sum(rows_loaded) as bigint) as rows_loaded

from loads
group by feed, forbund_id
