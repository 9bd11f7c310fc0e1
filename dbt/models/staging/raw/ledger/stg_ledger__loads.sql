-- The ledger's current loads (base_ledger__loads) as downstream reads them. The filter lives in
-- the base model so that the feeds' staging models read a base model, not another staging model.

select * from {{ ref('base_ledger__loads') }}
