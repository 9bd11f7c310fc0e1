-- The ledger's current loads: which feed delivered which month (monthly feeds) or which
-- förbund snapshot. Downstream uses it for the period the data covers.

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
