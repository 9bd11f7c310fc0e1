-- The months the monthly deliveries cover, one row (int_data_period): where the panel starts
-- and ends, and the complete months, inside which windows and follow-ups are read.

select
    first_month,
    first_complete_month,
    last_month,
    last_complete_month

from {{ ref('int_data_period') }}
