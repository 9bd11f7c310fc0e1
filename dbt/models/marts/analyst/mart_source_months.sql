-- Every month each monthly feed has delivered (current loads), one row per feed and month: the
-- evaluation of a year names the months up to its cut-off from here. No persons.

select distinct
    feed,
    month_start

from {{ ref('int_current_loads') }}
where month_start is not null
