-- Försäkringskassan's payments per person and month, split by kind of support and by
-- budget owner (FK pays aktivitetsstöd etc. out of Arbetsförmedlingen's budget), with the
-- month's helårsekvivalenter: days × omfattning/100 / 365 (SCB's försörjningsmått).

with

payments as (

    select * from {{ ref('stg_fk__utbetalningar') }}

),

benefit_codes as (

    select * from {{ ref('benefit_codes') }}

)

select
    payments.person_id,
    payments.month_start,
    sum(payments.gross_sek) filter (where benefit_codes.support_kind = 'ohalsa') as ohalsa_sek,
    sum(payments.gross_sek) filter (where benefit_codes.support_kind = 'arbetsmarknadsstod') as labour_market_support_sek,
    sum(payments.gross_sek) filter (where benefit_codes.budget_owner = 'FK') as support_fk_sek,
    sum(payments.gross_sek) filter (where benefit_codes.budget_owner = 'AF') as support_af_sek,
    sum(payments.gross_sek) filter (where benefit_codes.is_taxable) as taxable_support_sek,
    sum(coalesce(payments.tax_withheld_sek, 0)) as support_tax_withheld_sek,
    sum(payments.days_paid * payments.extent_pct / 100.0) / 365.0 as fk_fte

from payments
inner join benefit_codes on payments.benefit_code = benefit_codes.benefit_code
group by payments.person_id, payments.month_start
