-- Every month from the first to the last delivered month.

with

period as (

    select * from {{ ref('int_data_period') }}

)

select
    cast(month_start as date) as month_start,
    {{ year_of('month_start') }} as year

from period, {{ month_series('period.first_month', 'period.last_month') }} as t(month_start)
where period.first_month is not null
