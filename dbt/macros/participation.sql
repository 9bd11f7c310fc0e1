{#- Who counts (domain brief §4), defined once.

    is_participation: an episode closed as `felregistrering` was entered by mistake and is no
    participation at all: it is left out of every count (participants, flows, outcomes,
    follow-ups). Open episodes (no reason yet) are participations.
    is_censored_at_exit: an episode closed as `avliden` ends the person's follow-up in the
    exit month (the month of death): every point after it is left out of the follow-up and
    socioeconomic denominators, never counted as an outcome. -#}

{% macro is_participation(exit_reason) -%}
    ({{ exit_reason }} is null or {{ exit_reason }} <> 'felregistrering')
{%- endmacro %}

{% macro is_censored_at_exit(exit_reason) -%}
    coalesce({{ exit_reason }} = 'avliden', false)
{%- endmacro %}

{#- Months in the insats from inskrivning to `until` (avslut, the extract date or a cut-off):
    months of 30.4375 days (365.25/12), a started month counting as one. -#}
{% macro months_in_insats(entered_on, until) -%}
    greatest(1, ceil(({{ dbt.datediff(entered_on, until, 'day') }} + 1) / 30.4375))::integer
{%- endmacro %}

{#- The first day of the month `months` after the month of `date` (the follow-up month of an exit:
    1 = the month after the exit month), as a date. -#}
{% macro month_after(date, months) -%}
    cast(date_trunc('month', {{ date }}) + interval '{{ months }} month' as date)
{%- endmacro %}
