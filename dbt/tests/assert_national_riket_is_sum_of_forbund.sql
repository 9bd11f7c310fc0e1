{{ config(meta={'dq_check': 'warehouse_national_riket_sum'}) }}
-- mart_national_year: for every year the 'riket' row equals the sum of that year's förbund
-- rows, for every count column (and the helårsekvivalenter sums, to rounding), and there is
-- a riket row exactly for the years that have förbund rows. Returns the years that differ.

{% set counts = ['participants_active', 'new_entries', 'ended', 'direct_work_or_studies',
                 'followable_after_exit', 'followable_12m', 'self_supporting_12m',
                 'episodes_with_complete_windows'] %}
{% set sums = ['support_fte_before', 'support_fte_after'] %}

with

national as (

    select * from {{ ref('mart_national_year') }}

),

forbund_sums as (

    select
        year,
        {% for c in counts + sums %}sum({{ c }}) as {{ c }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from national
    where forbund_id != 'riket'
    group by year

),

riket as (

    select * from national where forbund_id = 'riket'

)

select
    coalesce(riket.year, forbund_sums.year) as year,
    {% for c in counts + sums %}
    riket.{{ c }} as riket_{{ c }},
    forbund_sums.{{ c }} as sum_of_forbund_{{ c }}{% if not loop.last %},{% endif %}
    {% endfor %}

from riket
full outer join forbund_sums on forbund_sums.year = riket.year
where riket.year is null
   or forbund_sums.year is null
   {% for c in counts %}
   or riket.{{ c }} != forbund_sums.{{ c }}
   {% endfor %}
   {% for c in sums %}
   or abs(riket.{{ c }} - forbund_sums.{{ c }}) > 1e-9
   {% endfor %}
