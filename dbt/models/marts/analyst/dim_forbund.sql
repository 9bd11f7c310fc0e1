-- The samordningsförbund the warehouse knows (the reference seed `forbund`), one row each: the
-- name every staff output uses, its members, kommuner and region. Person-free.

with

forbund as (

    select * from {{ ref('forbund') }}

)

select
    forbund_id,
    forbund_name,
    members,
    kommun_codes,
    region

from forbund
