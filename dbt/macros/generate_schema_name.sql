{#- Use the folder's schema name as it is (staging, intermediate, core, marts), not
    dbt's default "<target schema>_<custom>": analysts query marts.mart_flows_month. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name is not none else target.schema }}
{%- endmacro %}
