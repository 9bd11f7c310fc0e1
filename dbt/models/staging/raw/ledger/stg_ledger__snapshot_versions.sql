-- Every version of every förbund register (base_ledger__snapshot_versions) as downstream reads
-- them. Defined in the base model, which the registers' versions models read too.

select * from {{ ref('base_ledger__snapshot_versions') }}
