{#-
  The socioeconomic calculation (domain brief §5): its one implementation.

  dbt runs it per förbund × insats × year for `mart_socioeconomic_year`; `utfall socioeconomic`
  (src/utfall/evaluation/socioeconomic.py) renders this same file with plain Jinja2 and runs it on DuckDB
  over an evaluator's per-person file. So: plain Jinja and portable SQL only, no dbt functions.

  persons     relation: the keys, outcome ('arbete', 'studier' or 'sysselsattning') and monthly
              figures fk_before_sek, af_before_sek, kommun_before_sek, tax_before_sek, the same
              after exit fk_after_sek, af_after_sek, kommun_after_sek, tax_after_sek (0 when only
              'before' is known, as in the calculator's per-person input), salary_sek,
              wage_subsidy_sek (SEK per month) and housing_hours_week_before,
              housing_hours_week_after (boendestöd, hours per week)
  parameters  relation: one row per group (the keys; no keys: one row) with tax_rate,
              production_factor, housing_support_cost_per_hour, cost_sek (null: unknown),
              benefit_period_years, persistence_share, attributable_share_min,
              attributable_share_max. Every group of `parameters` gets a row, with or without persons.

  Which outcome counts for which measure (the FoU conventions as src/utfall/evaluation/socioeconomic.py
  explains them): reduced payments for arbete and studier; increased tax and production value
  for arbete; wage subsidies and boendestöd for everyone. Reduced payments per payer =
  12 × (before − after); tax on support lost = 12 × (tax withheld before − after).
  Yearly = 12 × monthly, boendestöd hours per week × 52.

  Exact arithmetic: every amount is decimal(38, 6), and each product is cast back to it, so
  widths never overflow and sums are exact to the öre (DuckDB turns a decimal division into a
  double: only return_per_krona divides). Rounding to whole kronor is the caller's.
-#}

{% macro socio_exact(expression) -%}
    cast({{ expression }} as decimal(38, 6))
{%- endmacro %}

{% macro socioeconomic_calculation(persons, parameters, keys=[]) -%}
{%- set join_on = ("using (" ~ keys | join(", ") ~ ")") if keys else "on true" -%}
{%- set key_list = keys | join(", ") ~ (", " if keys else "") -%}
select
    {{ key_list }}
    persons, persons_work, persons_studies, persons_occupation,
    reduced_payments_fk_sek, reduced_payments_af_sek, reduced_payments_kommun_sek, reduced_payments_total_sek,
    increased_tax_sek, production_value_sek, wage_subsidies_sek,
    housing_support_before_sek, housing_support_after_sek, housing_support_savings_sek,
    public_gain_sek,
    {{ socio_exact("production_value_sek - wage_subsidies_sek + housing_support_savings_sek") }} as society_sek,
    reduced_payments_fk_sek as fk_sek,
    {{ socio_exact("reduced_payments_af_sek - wage_subsidies_sek") }} as af_sek,
    {{ socio_exact("reduced_payments_kommun_sek + housing_support_savings_sek") }} as kommun_sek,
    cost_sek,
    {{ socio_exact("public_gain_sek - cost_sek") }} as net_sek,
    case when cost_sek <> 0 then public_gain_sek / cost_sek end as return_per_krona,
    projection_factor,
    {{ socio_exact("reduced_payments_total_sek * projection_factor") }} as projection_reduced_payments_sek,
    {{ socio_exact("increased_tax_sek * projection_factor") }} as projection_increased_tax_sek,
    {{ socio_exact("housing_support_savings_sek * projection_factor") }} as projection_housing_support_savings_sek,
    {{ socio_exact("public_gain_sek * attributable_share_min") }} as attributable_min_sek,
    {{ socio_exact("public_gain_sek * attributable_share_max") }} as attributable_max_sek,
    tax_rate, production_factor, housing_support_cost_per_hour, benefit_period_years, persistence_share,
    attributable_share_min, attributable_share_max
from (
    -- the totals the perspectives, the projection and the counterfactual are built from
    select
        per_year.*,
        {{ socio_exact("reduced_payments_fk_sek + reduced_payments_af_sek + reduced_payments_kommun_sek") }}
            as reduced_payments_total_sek,
        {{ socio_exact("housing_support_before_sek - housing_support_after_sek") }} as housing_support_savings_sek,
        {{ socio_exact("reduced_payments_fk_sek + reduced_payments_af_sek + reduced_payments_kommun_sek"
                       ~ " + housing_support_before_sek - housing_support_after_sek + increased_tax_sek") }}
            as public_gain_sek,
        {{ socio_exact("benefit_period_years * persistence_share") }} as projection_factor
    from (
        select
            {{ key_list }}
            coalesce(sums.persons, 0) as persons,
            coalesce(sums.persons_work, 0) as persons_work,
            coalesce(sums.persons_studies, 0) as persons_studies,
            coalesce(sums.persons_occupation, 0) as persons_occupation,
            {{ socio_exact("12 * (coalesce(sums.fk_before_sek, 0) - coalesce(sums.fk_after_sek, 0))") }}
                as reduced_payments_fk_sek,
            {{ socio_exact("12 * (coalesce(sums.af_before_sek, 0) - coalesce(sums.af_after_sek, 0))") }}
                as reduced_payments_af_sek,
            {{ socio_exact("12 * (coalesce(sums.kommun_before_sek, 0) - coalesce(sums.kommun_after_sek, 0))") }}
                as reduced_payments_kommun_sek,
            {{ socio_exact("12 * (" ~ socio_exact("coalesce(sums.salary_sek, 0) * " ~ socio_exact("p.tax_rate"))
                           ~ " - coalesce(sums.tax_before_sek, 0) + coalesce(sums.tax_after_sek, 0))") }}
                as increased_tax_sek,
            {{ socio_exact("12 * " ~ socio_exact("coalesce(sums.salary_sek, 0) * " ~ socio_exact("p.production_factor"))) }}
                as production_value_sek,
            {{ socio_exact("12 * coalesce(sums.wage_subsidy_sek, 0)") }} as wage_subsidies_sek,
            {{ socio_exact("52 * " ~ socio_exact(socio_exact("p.housing_support_cost_per_hour")
                           ~ " * coalesce(sums.housing_hours_week_before, 0)")) }} as housing_support_before_sek,
            {{ socio_exact("52 * " ~ socio_exact(socio_exact("p.housing_support_cost_per_hour")
                           ~ " * coalesce(sums.housing_hours_week_after, 0)")) }} as housing_support_after_sek,
            {{ socio_exact("p.cost_sek") }} as cost_sek,
            {{ socio_exact("p.tax_rate") }} as tax_rate,
            {{ socio_exact("p.production_factor") }} as production_factor,
            {{ socio_exact("p.housing_support_cost_per_hour") }} as housing_support_cost_per_hour,
            {{ socio_exact("p.benefit_period_years") }} as benefit_period_years,
            {{ socio_exact("p.persistence_share") }} as persistence_share,
            {{ socio_exact("p.attributable_share_min") }} as attributable_share_min,
            {{ socio_exact("p.attributable_share_max") }} as attributable_share_max
        from {{ parameters }} as p
        left join (
            select
                {{ key_list }}
                count(*) as persons,
                sum(case when outcome = 'arbete' then 1 else 0 end) as persons_work,
                sum(case when outcome = 'studier' then 1 else 0 end) as persons_studies,
                sum(case when outcome = 'sysselsattning' then 1 else 0 end) as persons_occupation,
                {%- for payer in ("fk", "af", "kommun") %}
                {%- for side in ("before", "after") %}
                sum(case when outcome in ('arbete', 'studier')
                         then {{ socio_exact(payer ~ "_" ~ side ~ "_sek") }} else 0 end) as {{ payer }}_{{ side }}_sek,
                {%- endfor %}
                {%- endfor %}
                sum(case when outcome = 'arbete' then {{ socio_exact("salary_sek") }} else 0 end) as salary_sek,
                sum(case when outcome = 'arbete' then {{ socio_exact("tax_before_sek") }} else 0 end) as tax_before_sek,
                sum(case when outcome = 'arbete' then {{ socio_exact("tax_after_sek") }} else 0 end) as tax_after_sek,
                sum({{ socio_exact("wage_subsidy_sek") }}) as wage_subsidy_sek,
                sum({{ socio_exact("housing_hours_week_before") }}) as housing_hours_week_before,
                sum({{ socio_exact("housing_hours_week_after") }}) as housing_hours_week_after
            from {{ persons }}
            {% if keys %}group by {{ keys | join(", ") }}{% endif %}
        ) as sums {{ join_on }}
    ) as per_year
) as with_gain
{%- endmacro %}
