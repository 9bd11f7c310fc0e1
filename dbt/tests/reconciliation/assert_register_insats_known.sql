{{ config(meta={'dq_check': 'warehouse_register_insats_known'}) }}
-- Every insats in a förbund's insats_ar (budget, FTE, goals) and programtrohet (fidelity
-- reviews) snapshots is in the same förbund's insatser register: the registers are
-- delivered separately, and figures for an unknown insats would be lost from the marts.
-- Returns the unknown (förbund, insats, register).

with

insatser as (

    select forbund_id, insats_id from {{ ref('stg_forbund__insatser') }}

),

referenced as (

    select distinct forbund_id, insats_id, 'insats_ar' as register from {{ ref('stg_forbund__insats_ar') }}
    union all
    select distinct forbund_id, insats_id, 'programtrohet' from {{ ref('stg_forbund__programtrohet') }}

)

select referenced.*
from referenced
left join insatser using (forbund_id, insats_id)
where insatser.insats_id is null
