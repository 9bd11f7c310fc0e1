{#- Money in the marts: whole-öre decimals of one fixed type, so contracts stay stable. -#}
{% macro sek(expression) -%}
    cast({{ expression }} as decimal(18, 2))
{%- endmacro %}
