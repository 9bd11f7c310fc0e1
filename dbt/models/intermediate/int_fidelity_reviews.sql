-- The IPS-25 fidelity reviews (programtrohet, the förbund's newest snapshot) for
-- mart_fidelity_reviews: marts read intermediate, not staging.

select
    forbund_id,
    insats_id,
    reviewed_on,
    total_score,
    {%- for item in range(1, 26) %}
    item_{{ '%02d' % item }}{{ ',' if not loop.last }}
    {%- endfor %}

from {{ ref('stg_forbund__programtrohet') }}
