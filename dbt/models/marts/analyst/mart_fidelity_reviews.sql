-- IPS-25 fidelity reviews of the insatser (programtrohet): one row per review, the total and
-- the 25 item scores (null where the reviewer gave only the total). Person-free.

with

reviews as (

    select * from {{ ref('int_fidelity_reviews') }}

)

select
    forbund_id,
    insats_id,
    reviewed_on,
    cast(total_score as integer) as total_score,
    {%- for item in range(1, 26) %}
    cast(item_{{ '%02d' % item }} as integer) as item_{{ '%02d' % item }}{{ ',' if not loop.last }}
    {%- endfor %}

from reviews
