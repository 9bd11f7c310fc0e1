{{ config(meta={'dq_check': 'warehouse_flows_balance'}) }}
-- Each month's flows balance: active at the end = active at the start + new − ended.
-- Rows returned are months where they do not.

select
    forbund_id,
    insats_id,
    month_start,
    active_start,
    new_entries,
    ended,
    active_end

from {{ ref('mart_flows_month') }}
where active_end <> active_start + new_entries - ended
