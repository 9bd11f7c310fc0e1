-- The person × month panel over the whole delivered period, for every participant
-- (domain brief §4). One row per person and month, whether or not any agency reported
-- anything that month (then status 'ingen').
--
-- Status: of the statuses that apply in the month, the one with the best priority in the
-- seed status_priority. Egen försörjning: work or studies, and none of the three public
-- support kinds (ohälsa, arbetsmarknadsstöd, ekonomiskt bistånd). Helårsekvivalenter of the
-- month (uncapped; yearly sums are capped at 1): FK days × omfattning/100 / 365, plus 1/12
-- for a month with ekonomiskt bistånd.

with

persons as (

    select distinct person_id from {{ ref('stg_forbund__deltagare') }}

),

months as (

    select * from {{ ref('int_month_spine') }}

),

fk as (

    select * from {{ ref('int_fk_person_months') }}

),

salaries as (

    select
        person_id,
        month_start,
        sum(gross_salary_sek) as salary_sek,
        sum(coalesce(tax_deducted_sek, 0)) as salary_tax_deducted_sek
    from {{ ref('stg_skv__lon') }}
    group by person_id, month_start

),

employment_service as (

    select
        person_id,
        month_start,
        is_registered,
        wage_subsidy_type,
        wage_subsidy_sek
    from {{ ref('stg_af__status') }}

),

study_support as (

    select person_id, month_start, grant_sek, loan_sek
    from {{ ref('stg_csn__studiestod') }}

),

social_assistance as (

    select person_id, month_start, sum(assistance_sek) as assistance_sek
    from {{ ref('stg_kommun__bistand') }}
    group by person_id, month_start

),

housing_support as (

    select person_id, month_start, sum(hours) as housing_support_hours
    from {{ ref('stg_kommun__boendestod') }}
    group by person_id, month_start

),

care as (

    select person_id, month_start, outpatient_visits, inpatient_days
    from {{ ref('stg_region__vard') }}

),

thresholds as (

    select year, salary_threshold_month_sek from {{ ref('yearly_parameters') }}

),

joined as (

    select
        persons.person_id,
        months.month_start,
        months.year,
        coalesce(salaries.salary_sek, 0) as salary_sek,
        coalesce(salaries.salary_tax_deducted_sek, 0) as salary_tax_deducted_sek,
        coalesce(employment_service.wage_subsidy_sek, 0) as wage_subsidy_sek,
        coalesce(employment_service.wage_subsidy_type is not null
                 or employment_service.wage_subsidy_sek > 0, false) as has_wage_subsidy,
        coalesce(employment_service.is_registered, false) as is_registered_at_af,
        coalesce(study_support.grant_sek, 0) as study_grant_sek,
        coalesce(study_support.loan_sek, 0) as study_loan_sek,
        coalesce(fk.ohalsa_sek, 0) as ohalsa_sek,
        coalesce(fk.labour_market_support_sek, 0) as labour_market_support_sek,
        coalesce(social_assistance.assistance_sek, 0) as social_assistance_sek,
        coalesce(fk.support_fk_sek, 0) as support_fk_sek,
        coalesce(fk.support_af_sek, 0) as support_af_sek,
        coalesce(social_assistance.assistance_sek, 0) as support_kommun_sek,
        coalesce(fk.taxable_support_sek, 0) as taxable_support_sek,
        coalesce(fk.support_tax_withheld_sek, 0) as support_tax_withheld_sek,
        coalesce(fk.fk_fte, 0) as fk_fte,
        coalesce(housing_support.housing_support_hours, 0) as housing_support_hours,
        coalesce(care.outpatient_visits, 0) as outpatient_visits,
        coalesce(care.inpatient_days, 0) as inpatient_days,
        thresholds.salary_threshold_month_sek

    from persons
    cross join months
    left join fk using (person_id, month_start)
    left join salaries using (person_id, month_start)
    left join employment_service using (person_id, month_start)
    left join study_support using (person_id, month_start)
    left join social_assistance using (person_id, month_start)
    left join housing_support using (person_id, month_start)
    left join care using (person_id, month_start)
    left join thresholds on thresholds.year = months.year

),

flagged as (

    select
        *,
        salary_sek > 0 and has_wage_subsidy as is_subsidised_work,
        salary_sek >= salary_threshold_month_sek and not has_wage_subsidy as is_work,
        study_grant_sek + study_loan_sek > 0 as is_studies,
        ohalsa_sek > 0 as is_ohalsa,
        labour_market_support_sek > 0 as is_labour_market_support,
        social_assistance_sek > 0 as is_social_assistance,
        fk_fte + case when social_assistance_sek > 0 then 1.0 / 12 else 0 end as support_fte

    from joined

),

priorities as (

    select
        max(priority) filter (where status = 'arbete_subventionerat') as subsidised_work,
        max(priority) filter (where status = 'arbete') as work,
        max(priority) filter (where status = 'studier') as studies,
        max(priority) filter (where status = 'ohalsa') as ohalsa,
        max(priority) filter (where status = 'arbetsmarknadsstod') as labour_market_support,
        max(priority) filter (where status = 'ekonomiskt_bistand') as social_assistance,
        max(priority) filter (where status = 'ingen') as none_
    from {{ ref('status_priority') }}

),

ranked as (

    -- least() skips NULLs: the best priority among the statuses that apply
    select
        flagged.*,
        least(
            case when is_subsidised_work then priorities.subsidised_work end,
            case when is_work then priorities.work end,
            case when is_studies then priorities.studies end,
            case when is_ohalsa then priorities.ohalsa end,
            case when is_labour_market_support then priorities.labour_market_support end,
            case when is_social_assistance then priorities.social_assistance end,
            priorities.none_
        ) as status_priority

    from flagged
    cross join priorities

)

select
    ranked.person_id,
    ranked.month_start,
    ranked.year,
    status_priority.status,
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
inner join {{ ref('status_priority') }} as status_priority on status_priority.priority = ranked.status_priority
