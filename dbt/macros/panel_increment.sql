{#-
  The person × month panel (int_person_months) is rebuilt only where its inputs changed.

  After each build the panel records what it was built from in `<panel>__inputs`
  (kind, key, value):
    rules   fingerprint  md5 of the SQL of the panel and every model upstream, and of the
                         contents of every seed upstream (status priority, thresholds, codes)
    load    feed YYYY-MM the current load_id of every monthly feed's month (ledger)
    month   YYYY-MM-DD   every month of the spine
    person  person_id    every participant in the register
  The next build compares the current inputs with the recorded ones:
    rules changed                → every row is rebuilt (a seed or rule applies to all months)
    a month's load changed       → that month is rebuilt for every person (a new month, a
                                   correction of an old one, a month refused then re-sent)
    a new spine month            → that month is rebuilt (a month inside the period no feed sent)
    a new person in the register → all that person's months are built
    a person or month gone       → its rows are deleted
  Each month's row depends only on that month's facts, the person and the seeds, which is
  what makes rebuilding only the changed months exact.
-#}

{% macro panel_inputs_relation() %}
    {{ return(api.Relation.create(database=this.database, schema=this.schema,
                                  identifier=this.identifier ~ '__inputs')) }}
{% endmacro %}


{% macro panel_upstream_nodes(unique_id, seen) %}
    {% for parent in graph.nodes[unique_id].depends_on.nodes %}
        {% if parent in graph.nodes and parent not in seen %}
            {% do seen.append(parent) %}
            {% do panel_upstream_nodes(parent, seen) %}
        {% endif %}
    {% endfor %}
    {{ return(seen) }}
{% endmacro %}


{% macro panel_rules_fingerprint() %}
    {#- SQL checksums from the manifest; seed contents as loaded (a seed file edited but not yet
        reloaded has not changed anything yet) -#}
    {% if not execute %}
        {{ return('') }}
    {% endif %}
    {% set parts = [model.checksum.checksum] %}
    {% set seed_hashes = [] %}
    {% for unique_id in panel_upstream_nodes(model.unique_id, []) | sort %}
        {% set node = graph.nodes[unique_id] %}
        {% if node.resource_type == 'seed' %}
            {% do seed_hashes.append(
                "select md5(coalesce(string_agg(t::varchar, '|' order by t::varchar), '')) from "
                ~ api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) ~ " as t") %}
        {% else %}
            {% do parts.append(node.checksum.checksum) %}
        {% endif %}
    {% endfor %}
    {% for row in run_query(seed_hashes | join(' union all ')) if seed_hashes %}
        {% do parts.append(row[0]) %}
    {% endfor %}
    {{ return(local_md5(parts | join('|'))) }}
{% endmacro %}


{% macro panel_inputs_sql(fingerprint) %}
    select 'rules' as kind, 'fingerprint' as key, '{{ fingerprint }}' as value
    union all
    select 'load', feed || ' ' || left(cast(month_start as varchar), 7), cast(load_id as varchar)
    from {{ ref('stg_ledger__loads') }}
    where month_start is not null
    union all
    select 'month', cast(month_start as varchar), null
    from {{ ref('int_month_spine') }}
    union all
    select distinct 'person', person_id, null
    from {{ ref('stg_forbund__deltagare') }}
{% endmacro %}


{% macro panel_changes(report=false) %}
    {#- What changed since the last build (see the top of this file), as
        {rebuild_all, months: ['YYYY-MM-DD', …], persons_added, persons_removed, months_removed} -#}
    {% set changes = {'rebuild_all': false, 'months': [], 'persons_added': false,
                      'persons_removed': false, 'months_removed': false} %}
    {% if not execute %}
        {{ return(changes) }}
    {% endif %}
    {% set inputs = panel_inputs_relation() if is_incremental() else none %}
    {% if inputs is none
          or adapter.get_relation(database=inputs.database, schema=inputs.schema, identifier=inputs.identifier) is none %}
        {% do changes.update({'rebuild_all': true}) %}
        {% if report %}
            {% do log('int_person_months: rebuilding every month (first build or --full-refresh)', info=true) %}
        {% endif %}
        {{ return(changes) }}
    {% endif %}
    {% set diff_sql %}
        with current_inputs as ({{ panel_inputs_sql(panel_rules_fingerprint()) }}),
        recorded as (select kind, key, value from {{ inputs }}),
        added as (select * from current_inputs except select * from recorded),
        removed as (select * from recorded except select * from current_inputs)
        select kind, 'added' as side, count(*) as n,
               string_agg(distinct right(key, 7) || '-01', ',')
                   filter (where kind = 'load') as load_months,
               string_agg(distinct key, ',') filter (where kind = 'month') as spine_months
        from added group by kind
        union all
        select kind, 'removed', count(*),
               string_agg(distinct right(key, 7) || '-01', ',') filter (where kind = 'load'),
               string_agg(distinct key, ',') filter (where kind = 'month')
        from removed group by kind
    {% endset %}
    {% set months = [] %}
    {% for row in run_query(diff_sql) %}
        {% if row[0] == 'rules' %}
            {% do changes.update({'rebuild_all': true}) %}
        {% elif row[0] == 'load' %}
            {% do months.extend(row[3].split(',')) %}
        {% elif row[0] == 'month' and row[1] == 'added' %}
            {% do months.extend(row[4].split(',')) %}
        {% elif row[0] == 'month' %}
            {% do changes.update({'months_removed': true}) %}
        {% elif row[0] == 'person' and row[1] == 'added' %}
            {% do changes.update({'persons_added': true}) %}
        {% elif row[0] == 'person' %}
            {% do changes.update({'persons_removed': true}) %}
        {% endif %}
    {% endfor %}
    {% do changes.update({'months': months | unique | sort | list}) %}
    {% if report %}
    {% do log('int_person_months: ' ~ ('rebuilding every month (the rules or a seed they use changed)' if changes.rebuild_all
              else 'rebuilding ' ~ changes.months | length ~ ' changed month(s)'
                   ~ (', new participants' if changes.persons_added else '')
                   ~ (', removing participants no longer in the register' if changes.persons_removed else '')), info=true) %}
    {% endif %}
    {{ return(changes) }}
{% endmacro %}


{% macro panel_scope(changes, person_column='person_id', month_column='month_start') %}
    {#- The rows to (re)build in this run; `true` on a full build -#}
    {%- if not is_incremental() or changes.rebuild_all -%}
        true
    {%- else -%}
        (
            {%- if changes.months -%}
                {{ month_column }} in ({% for m in changes.months %}date '{{ m }}'{{ ', ' if not loop.last }}{% endfor %})
            {%- else -%}
                false
            {%- endif -%}
            {%- if changes.persons_added %}
                or {{ person_column }} in (select person_id from added_persons)
            {%- endif -%}
        )
    {%- endif -%}
{% endmacro %}


{% macro panel_delete_stale() %}
    {#- Pre-hook: rows that the delete+insert of the new rows would not replace -#}
    {% if is_incremental() %}
        {% set changes = panel_changes() %}
        {% if changes.rebuild_all %}
            delete from {{ this }}
        {% elif changes.persons_removed or changes.months_removed %}
            delete from {{ this }}
            where false
            {% if changes.persons_removed %}
                or person_id not in (select person_id from {{ ref('stg_forbund__deltagare') }})
            {% endif %}
            {% if changes.months_removed %}
                or month_start not in (select month_start from {{ ref('int_month_spine') }})
            {% endif %}
        {% endif %}
    {% endif %}
{% endmacro %}


{% macro panel_record_inputs() %}
    {#- Post-hook: what this build was made from, for the next build to compare with -#}
    {{ replace_table_as(panel_inputs_relation(), panel_inputs_sql(panel_rules_fingerprint())) }}
{% endmacro %}
