-- Every month from the first to the last delivered month.

with

period as (

    select * from {{ ref('int_data_period') }}

)

select
    cast(month_start as date) as month_start,
    year(month_start) as year

from period, range(period.first_month, period.last_month + interval 1 month, interval 1 month) as t(month_start)
where period.first_month is not null
