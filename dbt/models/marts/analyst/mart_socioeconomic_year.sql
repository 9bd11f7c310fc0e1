-- The socioeconomic analysis (domain brief §5) per förbund, insats and evaluation year, without
-- persons: the calculation of macros/socioeconomic.sql (the same one `utfall socioeconomic`
-- runs on an evaluator's file) applied to register data.
--
-- Cohort: the evaluation of year Y analyses the episodes that ended in Y − 1 (exit_year), the
-- latest exit cohort whose 12 months after exit are all observed by 31 December Y.
-- Who is counted (the FoU per-person table): episodes of that cohort in work (with or without
-- lönestöd) or studies 12 months after the exit month, with a complete 12-month window before
-- inskrivning and complete months 1–12 after exit (avliden is censored at exit, so never
-- counted). 'Before' is the monthly mean over the 12 months before the inskrivning month,
-- 'after' the monthly mean over months 1–12 after the exit month (a month without support
-- counts as 0), so support still paid after exit is not counted as saved; salary, lönestöd and
-- boendestöd after are the month 12 months after the exit month. Sysselsättning (social
-- training, daglig verksamhet) is not in any delivered register, so persons_occupation is 0 here.
--
-- Parameters: the local tax rate of the evaluation year, when the salary is earned
-- (yearly_parameters; the latest year's when the year has none), the rest from the seed
-- parameters, and the insats's cost in the cohort's exit year from insats_ar (null when not
-- delivered: no net or return per krona).

with

episodes as (

    select
        episode_id, forbund_id, insats_id, person_id, exit_year + 1 as year, exit_year,
        cast(date_trunc('month', entered_on) as date) as entry_month,
        cast(date_trunc('month', exited_on) as date) as exit_month,
        cast(date_trunc('month', exited_on) + interval '12 month' as date) as after_month,
        case when status_12m in ('arbete', 'arbete_subventionerat') then 'arbete' else 'studier' end as outcome
    from {{ ref('fct_episodes') }}
    where register_status = 'avslutad'
      and has_complete_before_window
      and has_complete_after_window
      and status_12m in ('arbete', 'arbete_subventionerat', 'studier')

),

-- monthly means over the 12 months before the inskrivning month and months 1–12 after the exit month
{%- set windows = {
    'before': "panel.month_start >= episodes.entry_month - interval '12 month' and panel.month_start < episodes.entry_month",
    'after': "panel.month_start > episodes.exit_month and panel.month_start <= episodes.after_month"} %}
{%- set payments = {'fk': 'support_fk_sek', 'af': 'support_af_sek', 'kommun': 'support_kommun_sek',
                    'tax': 'support_tax_withheld_sek'} %}
windows as (

    select
        episodes.episode_id,
        {%- for side, condition in windows.items() %}
        {%- for name, column in payments.items() %}
        coalesce(sum(panel.{{ column }}) filter (where {{ condition }}), 0) / 12 as {{ name }}_{{ side }}_sek,
        {%- endfor %}
        {%- endfor %}
        -- hours per month → hours per week: a month's mean over 12 months × 12 / 52
        coalesce(sum(panel.housing_support_hours) filter (where {{ windows['before'] }}), 0) / 52
            as housing_hours_week_before
    from episodes
    left join {{ ref('fct_person_months') }} as panel
        on panel.person_id = episodes.person_id
       and (({{ windows['before'] }}) or ({{ windows['after'] }}))
    group by episodes.episode_id

),

after_exit as (

    select
        episodes.episode_id,
        coalesce(panel.salary_sek, 0) as salary_sek,
        coalesce(panel.wage_subsidy_sek, 0) as wage_subsidy_sek,
        coalesce(panel.housing_support_hours, 0) * 12 / 52 as housing_hours_week_after
    from episodes
    left join {{ ref('fct_person_months') }} as panel
        on panel.person_id = episodes.person_id
       and panel.month_start = episodes.after_month

),

persons as (

    select
        episodes.forbund_id, episodes.insats_id, episodes.year, episodes.outcome,
        windows.fk_before_sek, windows.af_before_sek, windows.kommun_before_sek, windows.tax_before_sek,
        windows.fk_after_sek, windows.af_after_sek, windows.kommun_after_sek, windows.tax_after_sek,
        after_exit.salary_sek, after_exit.wage_subsidy_sek,
        windows.housing_hours_week_before, after_exit.housing_hours_week_after
    from episodes
    inner join windows on windows.episode_id = episodes.episode_id
    inner join after_exit on after_exit.episode_id = episodes.episode_id

),

groups as (

    -- every insats with a year of goals and cost (as an evaluation year), and every group with persons
    select forbund_id, insats_id, year from {{ ref('int_insats_years') }}
    union
    select distinct forbund_id, insats_id, year from persons

),

seed_parameters as (

    select parameter, cast(value as decimal(38, 6)) as value from {{ ref('parameters') }}

),

parameters as (

    select
        groups.forbund_id, groups.insats_id, groups.year,
        coalesce(this_year.local_tax_rate, latest_year.local_tax_rate) as tax_rate,
        (select value from seed_parameters where parameter = 'production_factor') as production_factor,
        (select value from seed_parameters where parameter = 'boendestod_cost_per_hour_sek')
            as housing_support_cost_per_hour,
        insats_ar.cost_sek,
        (select value from seed_parameters where parameter = 'benefit_period_years') as benefit_period_years,
        (select value from seed_parameters where parameter = 'persistence_share') as persistence_share,
        (select value from seed_parameters where parameter = 'attributable_share_low') as attributable_share_min,
        (select value from seed_parameters where parameter = 'attributable_share_high') as attributable_share_max
    from groups
    -- the cost of the year whose exits are analysed
    left join {{ ref('int_insats_years') }} as insats_ar
        on insats_ar.forbund_id = groups.forbund_id
       and insats_ar.insats_id = groups.insats_id
       and insats_ar.year = groups.year - 1
    left join {{ ref('yearly_parameters') }} as this_year on this_year.year = groups.year
    cross join (
        select local_tax_rate from {{ ref('yearly_parameters') }}
        order by year desc limit 1
    ) as latest_year

),

calculated as (

    {{ socioeconomic_calculation('persons', 'parameters', ['forbund_id', 'insats_id', 'year']) }}

)

{%- set sek_columns = [
    'reduced_payments_fk_sek', 'reduced_payments_af_sek', 'reduced_payments_kommun_sek', 'reduced_payments_total_sek',
    'increased_tax_sek', 'production_value_sek', 'wage_subsidies_sek', 'housing_support_before_sek',
    'housing_support_after_sek', 'housing_support_savings_sek', 'public_gain_sek', 'society_sek', 'fk_sek', 'af_sek',
    'kommun_sek', 'cost_sek'] %}
{%- set projection_columns = [
    'projection_reduced_payments_sek', 'projection_increased_tax_sek', 'projection_housing_support_savings_sek',
    'attributable_min_sek', 'attributable_max_sek'] %}
{%- set parameter_columns = [
    'tax_rate', 'production_factor', 'housing_support_cost_per_hour', 'benefit_period_years', 'persistence_share',
    'attributable_share_min', 'attributable_share_max'] %}

select
    forbund_id,
    insats_id,
    cast(year as integer) as year,
    cast(year - 1 as integer) as exit_year,
    {%- for column in ['persons', 'persons_work', 'persons_studies', 'persons_occupation'] %}
    cast({{ column }} as bigint) as {{ column }},
    {%- endfor %}
    {%- for column in sek_columns %}
    {{ sek(column) }} as {{ column }},
    {%- endfor %}
    -- over nobody there is no result to set against the cost: no net of minus the cost, no return of 0
    case when persons > 0 then {{ sek('net_sek') }} end as net_sek,
    case when persons > 0 then cast(return_per_krona as double precision) end as return_per_krona,
    cast(projection_factor as double precision) as projection_factor,
    {%- for column in projection_columns %}
    {{ sek(column) }} as {{ column }},
    {%- endfor %}
    {%- for column in parameter_columns %}
    cast({{ column }} as double precision) as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
from calculated
