-- The person × month panel over the whole delivered period, for every participant
-- (domain brief §4). One row per person and month, whether or not any agency reported
-- anything that month (then status 'ingen').
--
-- Status: of the statuses that apply in the month, the one with the best priority in the
-- seed status_priority. Egen försörjning: work or studies, and none of the three public
-- support kinds (ohälsa, arbetsmarknadsstöd, ekonomiskt bistånd). Helårsekvivalenter of the
-- month (uncapped; yearly sums are capped at 1): FK days × omfattning/100 / 365, plus 1/12
-- for a month with ekonomiskt bistånd.

-- Incremental: only the months whose deliveries changed (and new participants' months) are
-- rebuilt; see macros/panel_increment.sql for what counts as a change and why it is exact.
-- depends_on: {{ ref('stg_ledger__loads') }}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['person_id', 'month_start'],
    on_schema_change='sync_all_columns',
    pre_hook="{{ panel_delete_stale() }}",
    post_hook="{{ panel_record_inputs() }}",
) }}

{%- set changes = panel_changes(report=true) %}

with

-- A small integer key for each participant, for this query only: the facts are summed and
-- joined on it rather than on the 64-character pseudonym (91 s against 109 s at national scale)
persons as (

    select person_id, (row_number() over (order by person_id))::integer as person_key
    from (select distinct person_id from {{ ref('stg_forbund__deltagare') }}) as participants

),
{% if is_incremental() and changes.persons_added %}
added_persons as (

    select person_id from persons
    where person_id not in (select key from {{ panel_inputs_relation() }} where kind = 'person')

),
{% endif %}
priorities as (

    select
        max(priority) filter (where status = 'arbete_subventionerat') as subsidised_work_priority,
        max(priority) filter (where status = 'arbete') as work_priority,
        max(priority) filter (where status = 'studier') as studies_priority,
        max(priority) filter (where status = 'ohalsa') as ohalsa_priority,
        max(priority) filter (where status = 'arbetsmarknadsstod') as labour_market_support_priority,
        max(priority) filter (where status = 'ekonomiskt_bistand') as social_assistance_priority,
        max(priority) filter (where status = 'ingen') as none_priority
    from {{ ref('status_priority') }}

),

-- Each month with the rules that apply to it (the year's salary threshold, the status
-- priorities). They are joined to the 132-odd months here, not to the 40 M person-months
-- later: a join of the panel with a small table made DuckDB build its hash table on the
-- panel side and run out of memory at national scale.
month_parameters as (

    select months.month_start, months.year, thresholds.salary_threshold_month_sek, priorities.*
    from {{ ref('int_month_spine') }} as months
    left join {{ ref('yearly_parameters') }} as thresholds on thresholds.year = months.year
    cross join priorities

),

-- The person-months this run (re)builds: all of them on a full build
person_months as (

    select persons.person_key, persons.person_id, month_parameters.*
    from persons
    cross join month_parameters
    where {{ panel_scope(changes) }}

),

-- Studies are CSN studiemedel or a month in an AF programme that is studies (seed af_programmes,
-- as Socialstyrelsen counts).
-- Every agency's facts as one long list of person-month rows, summed per person and month:
-- DuckDB's aggregate spills to disk, where a wide spine joined to seven sources would have to
-- hold it all in memory (36.8 s and 9.3 GB for 4 M panel rows, against 6 s and 2 GB this way).
-- Each source fills its own columns; the others are typed nulls (PostgreSQL needs the type
-- to unite them).
{%- set fact_types = {
    'ohalsa_sek': 'decimal(18, 2)', 'labour_market_support_sek': 'decimal(18, 2)',
    'support_fk_sek': 'decimal(18, 2)', 'support_af_sek': 'decimal(18, 2)',
    'taxable_support_sek': 'decimal(18, 2)', 'support_tax_withheld_sek': 'decimal(18, 2)', 'fk_fte': 'float8',
    'salary_sek': 'decimal(18, 2)', 'salary_tax_deducted_sek': 'decimal(18, 2)',
    'wage_subsidy_sek': 'decimal(18, 2)', 'has_wage_subsidy': 'boolean', 'is_registered_at_af': 'boolean',
    'is_in_study_programme': 'boolean',
    'study_grant_sek': 'decimal(18, 2)', 'study_loan_sek': 'decimal(18, 2)',
    'social_assistance_sek': 'decimal(18, 2)', 'housing_support_hours': 'float8',
    'outpatient_visits': 'bigint', 'inpatient_days': 'bigint',
} %}
{%- set fact_sources = [
    ('int_fk_person_months', {
        'ohalsa_sek': 'ohalsa_sek', 'labour_market_support_sek': 'labour_market_support_sek',
        'support_fk_sek': 'support_fk_sek', 'support_af_sek': 'support_af_sek',
        'taxable_support_sek': 'taxable_support_sek', 'support_tax_withheld_sek': 'support_tax_withheld_sek',
        'fk_fte': 'fk_fte'}),
    ('stg_skv__lon', {
        'salary_sek': 'gross_salary_sek', 'salary_tax_deducted_sek': 'coalesce(tax_deducted_sek, 0)'}),
    ('stg_af__status', {
        'wage_subsidy_sek': 'wage_subsidy_sek',
        'has_wage_subsidy': 'wage_subsidy_type is not null or wage_subsidy_sek > 0',
        'is_registered_at_af': 'is_registered',
        'is_in_study_programme': "coalesce(programme in (select programme from " ~ ref('af_programmes')
                                 ~ " where status = 'studier'), false)"}),
    ('stg_csn__studiestod', {'study_grant_sek': 'grant_sek', 'study_loan_sek': 'loan_sek'}),
    ('stg_kommun__bistand', {'social_assistance_sek': 'assistance_sek'}),
    ('stg_kommun__boendestod', {'housing_support_hours': 'hours'}),
    ('stg_region__vard', {'outpatient_visits': 'outpatient_visits', 'inpatient_days': 'inpatient_days'}),
] %}
facts as (

    select persons.person_key, all_facts.month_start,
        {%- for column in fact_types %}
        all_facts.{{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
    {%- for model_name, expressions in fact_sources %}

    select
        person_id,
        month_start,
        {%- for column, type in fact_types.items() %}
        {{ expressions.get(column, 'cast(null as ' ~ type ~ ')') }} as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref(model_name) }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}

    ) as all_facts
    inner join persons on persons.person_id = all_facts.person_id
    where {{ panel_scope(changes, person_column='all_facts.person_id') }}

),

person_month_facts as (

    select
        person_key,
        month_start,
        sum(salary_sek) as salary_sek,
        sum(salary_tax_deducted_sek) as salary_tax_deducted_sek,
        sum(wage_subsidy_sek) as wage_subsidy_sek,
        bool_or(has_wage_subsidy) as has_wage_subsidy,
        bool_or(is_registered_at_af) as is_registered_at_af,
        bool_or(is_in_study_programme) as is_in_study_programme,
        sum(study_grant_sek) as study_grant_sek,
        sum(study_loan_sek) as study_loan_sek,
        sum(ohalsa_sek) as ohalsa_sek,
        sum(labour_market_support_sek) as labour_market_support_sek,
        sum(social_assistance_sek) as social_assistance_sek,
        sum(support_fk_sek) as support_fk_sek,
        sum(support_af_sek) as support_af_sek,
        sum(taxable_support_sek) as taxable_support_sek,
        sum(support_tax_withheld_sek) as support_tax_withheld_sek,
        sum(fk_fte) as fk_fte,
        sum(housing_support_hours) as housing_support_hours,
        sum(outpatient_visits) as outpatient_visits,
        sum(inpatient_days) as inpatient_days
    from facts
    group by person_key, month_start

),

joined as (

    select
        person_months.person_id,
        person_months.month_start,
        person_months.year,
        coalesce(facts.salary_sek, 0) as salary_sek,
        coalesce(facts.salary_tax_deducted_sek, 0) as salary_tax_deducted_sek,
        coalesce(facts.wage_subsidy_sek, 0) as wage_subsidy_sek,
        coalesce(facts.has_wage_subsidy, false) as has_wage_subsidy,
        coalesce(facts.is_registered_at_af, false) as is_registered_at_af,
        coalesce(facts.is_in_study_programme, false) as is_in_study_programme,
        coalesce(facts.study_grant_sek, 0) as study_grant_sek,
        coalesce(facts.study_loan_sek, 0) as study_loan_sek,
        coalesce(facts.ohalsa_sek, 0) as ohalsa_sek,
        coalesce(facts.labour_market_support_sek, 0) as labour_market_support_sek,
        coalesce(facts.social_assistance_sek, 0) as social_assistance_sek,
        coalesce(facts.support_fk_sek, 0) as support_fk_sek,
        coalesce(facts.support_af_sek, 0) as support_af_sek,
        coalesce(facts.social_assistance_sek, 0) as support_kommun_sek,
        coalesce(facts.taxable_support_sek, 0) as taxable_support_sek,
        coalesce(facts.support_tax_withheld_sek, 0) as support_tax_withheld_sek,
        coalesce(facts.fk_fte, 0) as fk_fte,
        coalesce(facts.housing_support_hours, 0) as housing_support_hours,
        coalesce(facts.outpatient_visits, 0) as outpatient_visits,
        coalesce(facts.inpatient_days, 0) as inpatient_days,
        person_months.salary_threshold_month_sek,
        person_months.subsidised_work_priority,
        person_months.work_priority,
        person_months.studies_priority,
        person_months.ohalsa_priority,
        person_months.labour_market_support_priority,
        person_months.social_assistance_priority,
        person_months.none_priority

    from person_months
    left join person_month_facts as facts
        on facts.person_key = person_months.person_key and facts.month_start = person_months.month_start

),

flagged as (

    select
        *,
        salary_sek > 0 and has_wage_subsidy as is_subsidised_work,
        salary_sek >= salary_threshold_month_sek and not has_wage_subsidy as is_work,
        study_grant_sek + study_loan_sek > 0 or is_in_study_programme as is_studies,
        ohalsa_sek > 0 as is_ohalsa,
        labour_market_support_sek > 0 as is_labour_market_support,
        social_assistance_sek > 0 as is_social_assistance,
        fk_fte + case when social_assistance_sek > 0 then 1.0 / 12 else 0 end as support_fte

    from joined

),

ranked as (

    -- least() skips NULLs: the best priority among the statuses that apply
    select
        flagged.*,
        least(
            case when is_subsidised_work then subsidised_work_priority end,
            case when is_work then work_priority end,
            case when is_studies then studies_priority end,
            case when is_ohalsa then ohalsa_priority end,
            case when is_labour_market_support then labour_market_support_priority end,
            case when is_social_assistance then social_assistance_priority end,
            none_priority
        ) as status_priority

    from flagged

)

select
    person_id,
    month_start,
    year,
    case status_priority
        when subsidised_work_priority then 'arbete_subventionerat'
        when work_priority then 'arbete'
        when studies_priority then 'studier'
        when ohalsa_priority then 'ohalsa'
        when labour_market_support_priority then 'arbetsmarknadsstod'
        when social_assistance_priority then 'ekonomiskt_bistand'
        when none_priority then 'ingen'
    end as status,
    (is_work or is_subsidised_work or is_studies)
        and not (is_ohalsa or is_labour_market_support or is_social_assistance) as is_self_supporting,
    is_work,
    is_subsidised_work,
    is_studies,
    is_ohalsa,
    is_labour_market_support,
    is_social_assistance,
    is_ohalsa or is_labour_market_support or is_social_assistance as has_public_support,
    salary_sek,
    salary_tax_deducted_sek,
    wage_subsidy_sek,
    is_registered_at_af,
    study_grant_sek,
    study_loan_sek,
    ohalsa_sek,
    labour_market_support_sek,
    social_assistance_sek,
    support_fk_sek,
    support_af_sek,
    support_kommun_sek,
    support_fk_sek + support_af_sek + support_kommun_sek as support_total_sek,
    taxable_support_sek,
    support_tax_withheld_sek,
    support_fte,
    housing_support_hours,
    outpatient_visits,
    inpatient_days

from ranked
