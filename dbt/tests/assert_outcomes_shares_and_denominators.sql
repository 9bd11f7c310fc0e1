{{ config(meta={'dq_check': 'warehouse_outcomes_shares'}) }}
-- mart_outcomes_year: every share lies in 0..1 and is its numerator over its own denominator
-- (null exactly when the denominator is 0); nobody is followable who did not end, nobody
-- self-supporting (or directly in work/studies) who was not followable; the six exit-reason
-- columns add up to ended; capped helårsekvivalenter sum to at most one per episode.
-- Returns the offending rows.

with

outcomes as (

    select * from {{ ref('mart_outcomes_year') }}

),

checked as (

    select
        *,
        -- the share is num/den, or null when den = 0
        {% set pairs = [
            ('share_direct_work_or_studies', 'direct_work_or_studies', 'followable_after_exit'),
            ('share_self_supporting_6m', 'self_supporting_6m', 'followable_6m'),
            ('share_self_supporting_12m', 'self_supporting_12m', 'followable_12m'),
            ('share_self_supporting_24m', 'self_supporting_24m', 'followable_24m'),
        ] %}
        {% for share, num, den in pairs %}
        ({{ share }} is not null and ({{ share }} < 0 or {{ share }} > 1))
            or ({{ den }} = 0) != ({{ share }} is null)
            or abs({{ share }} - {{ num }}::float8 / nullif({{ den }}, 0)) > 1e-12
            or {{ num }} > {{ den }}
            or {{ den }} > ended
            as bad_{{ share }},
        {% endfor %}
        exit_work + exit_subsidised_work + exit_studies + exit_job_seeking + exit_sickness + exit_deceased + exit_other
            != ended
            as bad_exit_reasons,
        episodes_with_complete_windows > ended
            or support_fte_before < 0 or support_fte_after < 0
            or support_fte_before > episodes_with_complete_windows + 1e-9
            or support_fte_after > episodes_with_complete_windows + 1e-9
            as bad_windows

    from outcomes

)

select * from checked
where bad_share_direct_work_or_studies
   or bad_share_self_supporting_6m
   or bad_share_self_supporting_12m
   or bad_share_self_supporting_24m
   or bad_exit_reasons
   or bad_windows
