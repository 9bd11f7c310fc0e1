-- The insatser in every förbund's register, one row per förbund and insats: what each is,
-- who runs it, for whom and since when (the förbund's newest insatser snapshot). Person-free.

with

insatser as (

    select * from {{ ref('stg_forbund__insatser') }}

)

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

from insatser
