-- The current loads (the ledger filter of base_ledger__loads) for the marts that say what the
-- warehouse holds (mart_sources, mart_source_months): marts read intermediate, not staging.

select
    load_id,
    feed,
    forbund_id,
    month_start,
    extracted_on,
    rows_loaded

from {{ ref('stg_ledger__loads') }}
