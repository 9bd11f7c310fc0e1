-- Who took part: persons per insats and year, by one dimension at a time (domain brief §5.2),
-- person-free. A person takes part in a year when one of their episodes in the insats is
-- active in it (inskrivning on or before 31 Dec, avslut none or on or after 1 Jan); persons
-- only waiting are not participants.
--
-- A person is counted once per insats and year, described by their latest episode active
-- in that year (latest inskrivning): so the categories of every one-valued dimension add up
-- to the persons of the `total` row, even for the rare person who left and came back.
-- support_at_start is the exception: one person can count in several kinds.
--
-- Only categories with at least one person have a row.

with

period as (

    select * from {{ ref('int_data_period') }}

),

years as (

    select distinct
        year::integer as year,
        make_date(year::integer, 1, 1) as year_start,
        make_date(year::integer, 12, 31) as year_end
    from {{ ref('int_register_month_spine') }}

),

episodes as (

    select
        episodes.episode_id,
        episodes.forbund_id,
        episodes.insats_id,
        episodes.person_id,
        episodes.sex,
        episodes.age_at_entry,
        episodes.home_kommun_code,
        episodes.education_level,
        episodes.entered_on,
        episodes.exited_on,
        date_trunc('month', episodes.entered_on)::date as entry_month,
        -- an open episode is known to run to the register's extract date
        coalesce(episodes.exited_on, extracts.extracted_on) as known_until
    from {{ ref('fct_episodes') }} as episodes
    left join {{ ref('int_episodes') }} as extracts on extracts.episode_id = episodes.episode_id
    where episodes.entered_on is not null

),

panel as (

    select
        person_id,
        month_start,
        has_public_support,
        is_ohalsa,
        is_labour_market_support,
        is_social_assistance,
        housing_support_hours
    from {{ ref('fct_person_months') }}

),

age_groups as (

    select * from {{ ref('age_groups') }}

),

months_in_insats_groups as (

    select * from {{ ref('months_in_insats_groups') }}

),

kommuner as (

    select * from {{ ref('kommuner') }}

),

-- support in the month before the inskrivning month; no panel row when that month lies
-- outside the complete data (as for fct_episodes.status_before_entry): then 'unknown'
month_before_start as (

    select
        episodes.episode_id,
        panel.person_id is not null as is_known,
        coalesce(panel.is_ohalsa, false) as is_ohalsa,
        coalesce(panel.is_labour_market_support, false) as is_labour_market_support,
        coalesce(panel.is_social_assistance, false) as is_social_assistance,
        coalesce(panel.housing_support_hours > 0, false) as has_housing_support

    from episodes
    cross join period
    left join panel
        on panel.person_id = episodes.person_id
        and panel.month_start = episodes.entry_month - interval '1 month'
        and panel.month_start between period.first_complete_month and period.last_complete_month

),

-- one row per episode and kind of support at start (an episode can have several)
support_at_start as (

    select episode_id, kind as support_kind
    from month_before_start
    cross join (values ('ohalsa'), ('arbetsmarknadsstod'), ('ekonomiskt_bistand'), ('boendestod')) as kinds(kind)
    where case kind
        when 'ohalsa' then is_ohalsa
        when 'arbetsmarknadsstod' then is_labour_market_support
        when 'ekonomiskt_bistand' then is_social_assistance
        when 'boendestod' then has_housing_support
    end
    union all
    select episode_id, case when is_known then 'none' else 'unknown' end
    from month_before_start
    where not (is_ohalsa or is_labour_market_support or is_social_assistance or has_housing_support)

),

-- the five 12-month blocks before the inskrivning month (block 1 = the 12 months just
-- before it); a block counts only when all of its months lie in the complete data, so
-- support before the data began is not seen and the figure is a lower bound for people
-- who entered less than five years after the first delivered month
support_blocks as (

    select
        episodes.episode_id,
        blocks.block,
        (episodes.entry_month - (12 * blocks.block) * interval '1 month')::date as block_start,
        (episodes.entry_month - (12 * (blocks.block - 1)) * interval '1 month' - interval '1 month')::date as block_end

    from episodes
    cross join generate_series(1, 5) as blocks(block)
    cross join period
    where episodes.entry_month - (12 * blocks.block) * interval '1 month' >= period.first_complete_month
      and episodes.entry_month - (12 * (blocks.block - 1)) * interval '1 month' - interval '1 month' <= period.last_complete_month

),

years_in_support as (

    select
        episodes.episode_id,
        count(distinct support_blocks.block) filter (where panel.has_public_support) as years_in_support,
        -- how many of the five blocks lie in the data: what years_in_support is counted out of
        count(distinct support_blocks.block) as years_covered,
        -- no 12-month block before start lies in the data: unknown, not 0
        count(support_blocks.block) = 0 as is_support_history_unknown

    from episodes
    left join support_blocks on support_blocks.episode_id = episodes.episode_id
    left join panel
        on panel.person_id = episodes.person_id
        and panel.month_start between support_blocks.block_start and support_blocks.block_end
    group by episodes.episode_id

),

episode_years as (

    select
        episodes.*,
        years.year,
        -- as known at the year's end (the cut-off): an episode still open then counts to 31 December
        -- (or to an earlier extract date), never to a later extract date
        {{ months_in_insats('episodes.entered_on', 'least(episodes.known_until, years.year_end)') }}
            as months_in_insats,
        row_number() over (
            partition by episodes.forbund_id, episodes.insats_id, episodes.person_id, years.year
            order by episodes.entered_on desc, episodes.episode_id desc
        ) as latest_first

    from episodes
    inner join years
        on episodes.entered_on <= years.year_end
        and (episodes.exited_on is null or episodes.exited_on >= years.year_start)

),

person_years as (

    select * from episode_years where latest_first = 1

),

described as (

    select
        person_years.episode_id,
        person_years.forbund_id,
        person_years.insats_id,
        person_years.year,
        person_years.person_id,
        person_years.sex,
        coalesce(age_groups.age_group, 'other') as age_group,
        person_years.home_kommun_code,
        -- a missing education level counts as unknown, as the register's own 'okand'
        coalesce(person_years.education_level, 'okand') as education_level,
        case when years_in_support.is_support_history_unknown then 'okand'
             else years_in_support.years_in_support::varchar end as years_in_support,
        years_in_support.years_covered::varchar as years_covered,
        months_in_insats_groups.months_group

    from person_years
    left join age_groups
        on person_years.age_at_entry between age_groups.min_age and age_groups.max_age
    left join months_in_insats_groups
        on person_years.months_in_insats between months_in_insats_groups.min_months and months_in_insats_groups.max_months
    left join years_in_support on years_in_support.episode_id = person_years.episode_id

),

categorised as (

    select forbund_id, insats_id, year, person_id, 'total' as dimension, 'total' as category
    from described
    union all
    select forbund_id, insats_id, year, person_id, 'sex', sex
    from described
    union all
    select forbund_id, insats_id, year, person_id, 'age_group', age_group
    from described
    union all
    select forbund_id, insats_id, year, person_id, 'home_kommun', home_kommun_code
    from described
    union all
    select forbund_id, insats_id, year, person_id, 'education_level', education_level
    from described
    union all
    select described.forbund_id, described.insats_id, described.year, described.person_id, 'support_at_start',
           support_at_start.support_kind
    from described
    inner join support_at_start on support_at_start.episode_id = described.episode_id
    union all
    select forbund_id, insats_id, year, person_id, 'years_in_public_support_before_start', years_in_support
    from described
    union all
    select forbund_id, insats_id, year, person_id, 'support_history_years_covered', years_covered
    from described
    union all
    select forbund_id, insats_id, year, person_id, 'months_in_insats', months_group
    from described

),

counted as (

    select
        forbund_id,
        insats_id,
        year,
        dimension,
        category,
        count(distinct person_id) as persons

    from categorised
    -- a value the register left empty (a home kommun, sex) has no category
    where category is not null
    group by forbund_id, insats_id, year, dimension, category

),

-- Swedish labels for the report; home kommun takes its name from the seed
labels (dimension, category, category_label) as (

    values
        ('total', 'total', 'Totalt'),
        ('sex', 'K', 'Kvinnor'),
        ('sex', 'M', 'Män'),
        ('age_group', 'other', 'Under 18 eller över 65 år'),
        ('education_level', 'grundskola', 'Grundskola'),
        ('education_level', 'gymnasium', 'Gymnasium'),
        ('education_level', 'eftergymnasial', 'Eftergymnasial utbildning'),
        ('education_level', 'hogskola', 'Högskola'),
        ('education_level', 'okand', 'Okänd'),
        ('support_at_start', 'ohalsa', 'Ersättning vid ohälsa'),
        ('support_at_start', 'arbetsmarknadsstod', 'Arbetsmarknadsstöd'),
        ('support_at_start', 'ekonomiskt_bistand', 'Ekonomiskt bistånd'),
        ('support_at_start', 'boendestod', 'Boendestöd'),
        ('support_at_start', 'none', 'Inget av dessa'),
        ('support_at_start', 'unknown', 'Okänt (månaden före start saknas i data)'),
        ('years_in_public_support_before_start', 'okand', 'Okänt (åren före start saknas i data)')

),

final as (

    select
        counted.forbund_id,
        counted.insats_id,
        counted.year,
        counted.dimension,
        counted.category,
        coalesce(
            labels.category_label,
            kommuner.kommun_namn,
            case counted.dimension
                when 'age_group' then replace(counted.category, '-', '–') || ' år'
                when 'years_in_public_support_before_start' then counted.category || ' år'
                when 'support_history_years_covered' then counted.category || ' år'
                when 'months_in_insats' then replace(counted.category, '-', '–') || ' månader'
            end,
            counted.category
        ) as category_label,
        counted.persons::integer as persons

    from counted
    left join labels
        on labels.dimension = counted.dimension
        and labels.category = counted.category
    left join kommuner
        on counted.dimension = 'home_kommun'
        and kommuner.kommun_kod = counted.category

)

select * from final
