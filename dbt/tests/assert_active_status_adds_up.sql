{{ config(meta={'dq_check': 'warehouse_active_status_adds_up'}) }}
-- mart_active_status_month agrees with itself and with mart_flows_month: the enrolled are the
-- flows' active_end; work and studies overlap only in in_work_and_studies, so
-- in_work + in_studies − in_work_and_studies + in_neither = enrolled; lönestöd is part of work;
-- the share is in_work / enrolled. Returns the rows where any of that fails.

select
    status.forbund_id,
    status.insats_id,
    status.month_start,
    status.enrolled,
    flows.active_end
from {{ ref('mart_active_status_month') }} as status
left join {{ ref('mart_flows_month') }} as flows
    on flows.forbund_id = status.forbund_id
    and flows.insats_id = status.insats_id
    and flows.month_start = status.month_start
where flows.active_end is distinct from status.enrolled
   or (status.in_work is not null and (
           status.in_work + status.in_studies - status.in_work_and_studies + status.in_neither != status.enrolled
           or status.in_subsidised_work > status.in_work
           or abs(coalesce(status.share_in_work, -1)
                  - coalesce(status.in_work::float8 / nullif(status.enrolled, 0), -1)) > 1e-12))
