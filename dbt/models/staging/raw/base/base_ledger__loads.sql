-- The ledger's current loads, defined here once: the latest correction of every monthly file
-- and every förbund's newest snapshot (status 'loaded'). The staging models of the feeds keep
-- only rows of these loads (a base model, so staging does not depend on staging); downstream
-- reads them through stg_ledger__loads.

with

source as (

    select * from {{ source('raw', 'loads') }}

),

current_loads as (

    select
        load_id,
        feed,
        file_name,
        period,
        forbund_id,
        -- YYYYMM and YYYYMMDD as ISO dates, which both databases cast alike
        case when length(period) = 6
            then cast(substr(period, 1, 4) || '-' || substr(period, 5, 2) || '-01' as date) end as month_start,
        case when length(period) = 8
            then cast(substr(period, 1, 4) || '-' || substr(period, 5, 2) || '-' || substr(period, 7, 2) as date)
        end as extracted_on,
        rows_loaded,
        loaded_at

    from source
    where status = 'loaded'

)

select * from current_loads
