-- The rows of every version of the förbund registers (stg_ledger__snapshot_versions), not only
-- the newest that stg_forbund__deltagare keeps: what each register said on each extract date.
-- The queue (who left it without starting) and the aktiv/passiv status of past months exist
-- only in this history. Person-level: the engineers' tier. Columns renamed as in staging.

with

source as (

    select * from {{ source('raw', 'deltagare') }}

),

versions as (

    select load_id, extracted_on, next_extracted_on
    from {{ ref('stg_ledger__snapshot_versions') }}
    where feed = 'deltagare'

)

select
    source.person_id,
    source.forbund_id,
    source.insats_id,
    source.kodatum as queued_on,
    source.inskrivningsdatum as entered_on,
    source.avslutsdatum as exited_on,
    source.status as register_status,
    source.avslutsorsak as exit_reason,
    versions.extracted_on,
    versions.next_extracted_on,
    source.load_id

from source
inner join versions on source.load_id = versions.load_id
