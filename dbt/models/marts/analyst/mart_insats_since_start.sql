-- Since start: per insats and year, what the insats has done from its first inskrivning to the
-- year's end (as known at that cut-off): the distinct persons who have taken part and the avslut.
-- The yearly series beside it comes from the other marts (participants, flows, outcomes by
-- year); distinct persons cannot be summed from them, so they are counted here. Person-free.

with

years as (

    select distinct year, make_date(year, 12, 31) as year_end
    from {{ ref('int_register_month_spine') }}

),

insatser as (

    select forbund_id, insats_id, started_on
    from {{ ref('dim_insatser') }}

),

episodes as (

    select forbund_id, insats_id, person_id, entered_on, exited_on
    from {{ ref('fct_episodes') }}
    where entered_on is not null

)

select
    insatser.forbund_id,
    insatser.insats_id,
    cast(years.year as integer) as year,
    insatser.started_on,
    min(episodes.entered_on) as first_entry_on,
    cast(count(distinct episodes.person_id) as integer) as participants_since_start,
    cast(count(episodes.exited_on) filter (where episodes.exited_on <= years.year_end) as integer) as ended_since_start

from insatser
cross join years
left join episodes
    on episodes.forbund_id = insatser.forbund_id
    and episodes.insats_id = insatser.insats_id
    and episodes.entered_on <= years.year_end
group by insatser.forbund_id, insatser.insats_id, years.year, insatser.started_on
