-- The person × month panel (engineers' tier): see int_person_months for the rules.
-- A view with the public column types over int_person_months, the incremental table: a
-- table here would copy every person-month again on each build.
{{ config(materialized='view') }}

select
    person_id,
    month_start,
    year::integer as year,
    status,
    is_self_supporting,
    is_work,
    is_subsidised_work,
    is_studies,
    is_ohalsa,
    is_labour_market_support,
    is_social_assistance,
    has_public_support,
    {{ sek('salary_sek') }} as salary_sek,
    {{ sek('salary_tax_deducted_sek') }} as salary_tax_deducted_sek,
    {{ sek('wage_subsidy_sek') }} as wage_subsidy_sek,
    is_registered_at_af,
    {{ sek('study_grant_sek') }} as study_grant_sek,
    {{ sek('study_loan_sek') }} as study_loan_sek,
    {{ sek('ohalsa_sek') }} as ohalsa_sek,
    {{ sek('labour_market_support_sek') }} as labour_market_support_sek,
    {{ sek('social_assistance_sek') }} as social_assistance_sek,
    {{ sek('support_fk_sek') }} as support_fk_sek,
    {{ sek('support_af_sek') }} as support_af_sek,
    {{ sek('support_kommun_sek') }} as support_kommun_sek,
    {{ sek('support_total_sek') }} as support_total_sek,
    {{ sek('taxable_support_sek') }} as taxable_support_sek,
    {{ sek('support_tax_withheld_sek') }} as support_tax_withheld_sek,
    support_fte,
    housing_support_hours,
    outpatient_visits::integer as outpatient_visits,
    inpatient_days::integer as inpatient_days

from {{ ref('int_person_months') }}
