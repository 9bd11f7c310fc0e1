{{ config(meta={'dq_check': 'warehouse_flows_continuity'}) }}
-- Months chain: active at the start of a month = active at the end of the month before,
-- so flows for any period follow from its first and last month and the sums in between.
-- Rows returned are months where the chain breaks (or a month is missing from the spine).

with

flows as (

    select * from {{ ref('mart_flows_month') }}

),

chained as (

    select
        forbund_id,
        insats_id,
        month_start,
        active_start,
        lag(month_start) over insats_months as previous_month_start,
        lag(active_end) over insats_months as previous_active_end

    from flows
    window insats_months as (partition by forbund_id, insats_id order by month_start)

)

select *
from chained
where previous_month_start is not null
  and (
      previous_month_start <> month_start - interval '1 month'
      or previous_active_end <> active_start
  )
