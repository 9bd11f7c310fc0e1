{#- Rows of `model` whose values in `columns` have no row in `to` with the same values in
    `to_columns` (dbt's relationships test over several columns, e.g. förbund and insats, so
    an insats id counts as known only in its own förbund's register). Rows with a NULL in
    `columns` are left to not_null tests, as relationships does. `context_columns` are
    returned beside them so the quality gate can name (and scope) the offending rows. -#}
{% test known_in(model, columns, to, to_columns, context_columns=[]) %}

select
    {{ (context_columns + columns) | join(', ') }}
from {{ model }} as child
where {% for c in columns %}child.{{ c }} is not null and {% endfor %} not exists (
    select 1
    from {{ to }} as parent
    where {% for c in columns %}parent.{{ to_columns[loop.index0] }} = child.{{ c }}{{ " and " if not loop.last }}{% endfor %}
)

{% endtest %}
