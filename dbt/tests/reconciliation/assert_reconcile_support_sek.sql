{{ config(meta={'dq_check': 'warehouse_reconcile_support_sek'}) }}
-- SEK per payer summed in the panel = SEK delivered, for the same months: per förbund, month
-- and payer, core.fct_person_months' support_fk_sek / support_af_sek / support_kommun_sek
-- summed over the förbund's register persons equal the delivered amounts of those persons
-- (Försäkringskassan's gross amounts by budget owner from the benefit_codes seed; kommun's
-- ekonomiskt bistånd). Persons in no register are not in the panel and not compared. Amounts
-- are DECIMAL(18,2) on both sides, so the sums must agree exactly. Returns the cells that
-- differ (no person_id); failures = förbund × month × payer cells.

with

registers as (

    select distinct forbund_id, person_id from {{ ref('stg_forbund__deltagare') }}

),

delivered as (

    select payments.person_id, payments.month_start, benefit_codes.budget_owner as payer, payments.gross_sek as sek
    from {{ ref('stg_fk__utbetalningar') }} as payments
    inner join {{ ref('benefit_codes') }} as benefit_codes on benefit_codes.benefit_code = payments.benefit_code

    union all

    select person_id, month_start, 'kommun', assistance_sek
    from {{ ref('stg_kommun__bistand') }}

),

delivered_sums as (

    select registers.forbund_id, delivered.month_start, delivered.payer, sum(delivered.sek) as delivered_sek
    from delivered
    inner join registers on registers.person_id = delivered.person_id
    group by registers.forbund_id, delivered.month_start, delivered.payer

),

panel as (

    select
        registers.forbund_id,
        panel.month_start,
        sum(panel.support_fk_sek) as fk,
        sum(panel.support_af_sek) as af,
        sum(panel.support_kommun_sek) as kommun
    from {{ ref('fct_person_months') }} as panel
    inner join registers on registers.person_id = panel.person_id
    group by registers.forbund_id, panel.month_start

),

panel_sums as (

    select forbund_id, month_start, 'FK' as payer, fk as panel_sek from panel
    union all
    select forbund_id, month_start, 'AF', af from panel
    union all
    select forbund_id, month_start, 'kommun', kommun from panel

)

select
    coalesce(d.forbund_id, p.forbund_id) as forbund_id,
    coalesce(d.month_start, p.month_start) as month_start,
    coalesce(d.payer, p.payer) as payer,
    coalesce(d.delivered_sek, 0) as delivered_sek,
    coalesce(p.panel_sek, 0) as panel_sek

from delivered_sums as d
full outer join panel_sums as p using (forbund_id, month_start, payer)
where coalesce(d.delivered_sek, 0) != coalesce(p.panel_sek, 0)
