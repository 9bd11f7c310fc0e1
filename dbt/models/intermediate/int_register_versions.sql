-- Every version of every förbund register snapshot (stg_ledger__snapshot_versions) for
-- mart_register_month: marts read intermediate, not staging.

select
    load_id,
    feed,
    forbund_id,
    extracted_on,
    next_extracted_on,
    newest_extracted_on,
    first_extracted_on

from {{ ref('stg_ledger__snapshot_versions') }}
