-- The ledger's current loads, defined here once: the latest correction of every monthly file
-- and every förbund's newest snapshot (status 'loaded'). The staging models of the feeds keep
-- only rows of these loads; downstream also reads the period the data cover from here.

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
        case when length(period) = 6 then strptime(period, '%Y%m')::date end as month_start,
        case when length(period) = 8 then strptime(period, '%Y%m%d')::date end as extracted_on,
        rows_loaded,
        loaded_at

    from source
    where status = 'loaded'

)

select * from current_loads
