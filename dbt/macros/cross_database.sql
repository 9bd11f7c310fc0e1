{#-
  SQL that DuckDB and PostgreSQL spell differently: one macro per difference, dispatched on
  the target (`duckdb__…`, `postgres__…`), so no model has a copy per database. Where both
  accept the same spelling the models use it directly instead:
    interval '1 month', n * interval '1 month'   (not DuckDB's interval 1 month, to_months)
    percentile_cont(0.5) within group (…)          (not DuckDB's median)
    generate_series(a, b) in from                  (inclusive on both; not DuckDB's range)
    float8 / double precision                      (PostgreSQL has no plain `double`)
    explicit column lists                          (not DuckDB's * exclude, union all by name)
  Day and month differences come from dbt's own cross-database `dbt.datediff`.
-#}

{#- A table expression of every month from `first_month` to `last_month`, both included;
    its one column is a timestamp: alias it, e.g. `{{ month_series(a, b) }} as t(month_start)`. -#}
{% macro month_series(first_month, last_month) %}
    {{- return(adapter.dispatch('month_series', 'utfall')(first_month, last_month)) -}}
{% endmacro %}

{% macro duckdb__month_series(first_month, last_month) -%}
    range(({{ first_month }})::timestamp, ({{ last_month }})::timestamp + interval '1 month', interval '1 month')
{%- endmacro %}

{% macro postgres__month_series(first_month, last_month) -%}
    generate_series(({{ first_month }})::timestamp, ({{ last_month }})::timestamp, interval '1 month')
{%- endmacro %}


{#- In a select list: one row for each integer from `first` to `last`, both included. -#}
{% macro integers_between(first, last) %}
    {{- return(adapter.dispatch('integers_between', 'utfall')(first, last)) -}}
{% endmacro %}

{% macro duckdb__integers_between(first, last) -%}
    unnest(range({{ first }}, ({{ last }}) + 1))
{%- endmacro %}

{% macro postgres__integers_between(first, last) -%}
    generate_series({{ first }}, {{ last }})
{%- endmacro %}


{#- The calendar year of a date, as an integer (DuckDB's year() is a bigint, PostgreSQL's
    extract() a numeric). -#}
{% macro year_of(date_expression) -%}
    cast(extract(year from {{ date_expression }}) as integer)
{%- endmacro %}


{#- The running product of `factor` over a window: DuckDB has product(); PostgreSQL sums
    logarithms, and a factor 0 makes the product 0 from there on. Factors must not be negative. -#}
{% macro product_over(factor, window) %}
    {{- return(adapter.dispatch('product_over', 'utfall')(factor, window)) -}}
{% endmacro %}

{% macro duckdb__product_over(factor, window) -%}
    product({{ factor }}) over ({{ window }})
{%- endmacro %}

{% macro postgres__product_over(factor, window) -%}
    case
        when bool_or(({{ factor }}) = 0) over ({{ window }}) then 0.0
        else exp(sum(ln(nullif({{ factor }}, 0))) over ({{ window }}))
    end
{%- endmacro %}


{#- Replace a table with the result of a query (a hook's bookkeeping table). -#}
{% macro replace_table_as(relation, sql) %}
    {{- return(adapter.dispatch('replace_table_as', 'utfall')(relation, sql)) -}}
{% endmacro %}

{% macro duckdb__replace_table_as(relation, sql) -%}
    create or replace table {{ relation }} as {{ sql }}
{%- endmacro %}

{% macro postgres__replace_table_as(relation, sql) -%}
    drop table if exists {{ relation }}; create table {{ relation }} as {{ sql }}
{%- endmacro %}
