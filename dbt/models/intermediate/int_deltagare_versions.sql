-- The rows of every version of the förbund registers (stg_forbund__deltagare_versions), not only
-- the newest that stg_forbund__deltagare keeps: what each register said on each extract date.
-- The queue (who left it without starting) and the aktiv/passiv status of past months exist
-- only in this history. Person-level: the engineers' tier.

select * from {{ ref('stg_forbund__deltagare_versions') }}
