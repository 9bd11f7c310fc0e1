{{ config(meta={'dq_check': 'warehouse_national_shares'}) }}
-- mart_national_year: shares lie in 0..1, each is its own row's numerator over denominator
-- (for riket: recomputed from the summed counts, never an average of förbund shares) and null
-- exactly when the denominator is 0; followable ≤ ended, direct/self-supporting ≤ followable,
-- complete windows ≤ ended; a year with entries or exits has an active participant (entry
-- and exit years are active years). Returns the offending rows.

with

national as (

    select * from {{ ref('mart_national_year') }}

)

select *
from national
where (share_direct_work_or_studies is not null and share_direct_work_or_studies not between 0 and 1)
   or (share_self_supporting_12m is not null and share_self_supporting_12m not between 0 and 1)
   or (followable_after_exit = 0) != (share_direct_work_or_studies is null)
   or (followable_12m = 0) != (share_self_supporting_12m is null)
   or abs(share_direct_work_or_studies - direct_work_or_studies::float8 / nullif(followable_after_exit, 0)) > 1e-12
   or abs(share_self_supporting_12m - self_supporting_12m::float8 / nullif(followable_12m, 0)) > 1e-12
   or followable_after_exit > ended
   or followable_12m > ended
   or direct_work_or_studies > followable_after_exit
   or self_supporting_12m > followable_12m
   or episodes_with_complete_windows > ended
   or ((new_entries > 0 or ended > 0) and participants_active = 0)
