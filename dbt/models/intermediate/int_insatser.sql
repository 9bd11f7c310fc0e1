-- The insatser of every förbund's newest insatser register, for dim_insatser and the register
-- measures (mart_flows_month, mart_active_status_month): marts read intermediate, not staging.

select
    forbund_id,
    insats_id,
    insats_name,
    method,
    operator,
    started_on,
    ended_on,
    target_group,
    extracted_on

from {{ ref('stg_forbund__insatser') }}
