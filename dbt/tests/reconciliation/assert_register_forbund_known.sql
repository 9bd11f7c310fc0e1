{{ config(meta={'dq_check': 'warehouse_register_forbund_known'}) }}
-- Every förbund that delivers a register (deltagare, insatser, insats_ar, programtrohet) is in
-- the seed `forbund`: the report names a förbund from it, and an id it does not know is a
-- delivery under a wrong or new id that must be named before anything is published for it.
-- Returns the unknown (förbund, register).

with

known as (

    select forbund_id from {{ ref('forbund') }}

),

delivered as (

    select distinct forbund_id, 'deltagare' as register from {{ ref('stg_forbund__deltagare') }}
    union all
    select distinct forbund_id, 'insatser' from {{ ref('stg_forbund__insatser') }}
    union all
    select distinct forbund_id, 'insats_ar' from {{ ref('stg_forbund__insats_ar') }}
    union all
    select distinct forbund_id, 'programtrohet' from {{ ref('stg_forbund__programtrohet') }}

)

select delivered.*
from delivered
left join known using (forbund_id)
where known.forbund_id is null
