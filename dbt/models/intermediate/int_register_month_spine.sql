-- Every month the förbund registers cover: the spine of the register measures (participants,
-- flows, queue, caseload, the enrolled), which need no agency delivery. It runs from the earliest
-- register date (a kodatum, an inskrivning or an insats's start) to the newest register extract,
-- and also spans every month an agency delivered (int_data_period), so no month of the panel's
-- spine is left out. A warehouse holding only registers thus has its flows; the person × month
-- panel keeps its own spine (int_month_spine) and is not made longer by the registers' years.
-- Marts keyed by evaluation year count each year as known at its 31 December (the cut-off).

with

episodes as (

    select
        least(min(queued_on), min(entered_on)) as first_day,
        max(extracted_on) as last_day
    from {{ ref('stg_forbund__deltagare') }}

),

insatser as (

    select min(started_on) as first_day, max(extracted_on) as last_day
    from {{ ref('stg_forbund__insatser') }}

),

period as (

    select first_month, last_month from {{ ref('int_data_period') }}

),

bounds as (

    -- least()/greatest() skip a NULL (a register or agency that has delivered nothing)
    select
        cast(date_trunc('month', least(episodes.first_day, insatser.first_day, period.first_month)) as date)
            as first_month,
        cast(date_trunc('month', greatest(episodes.last_day, insatser.last_day, period.last_month)) as date)
            as last_month
    from episodes
    cross join insatser
    cross join period

)

select
    cast(month_start as date) as month_start,
    {{ year_of('month_start') }} as year

from bounds, {{ month_series('bounds.first_month', 'bounds.last_month') }} as t(month_start)
where bounds.first_month is not null
