-- Every version of every förbund register snapshot the ledger holds, not only the newest:
-- the queue and the register status of past months are read from this history. A version is
-- one extract date of one förbund's register; a correction of the same extract date (a later
-- load of the same file name) replaces the earlier load of that date, so no version counts
-- twice. A snapshot superseded only because a newer extract date came is still a version.

with

source as (

    select * from {{ source('raw', 'loads') }}

),

snapshot_loads as (

    select
        load_id,
        feed,
        forbund_id,
        period,
        -- the latest load of an extract date is that date's version (corrections replace it)
        row_number() over (partition by feed, forbund_id, period order by load_id desc) as correction_rank

    from source
    where status in ('loaded', 'superseded')
      and length(period) = 8
      and forbund_id is not null

),

versions as (

    select
        load_id,
        feed,
        forbund_id,
        cast(substr(period, 1, 4) || '-' || substr(period, 5, 2) || '-' || substr(period, 7, 2) as date) as extracted_on

    from snapshot_loads
    where correction_rank = 1

)

select
    load_id,
    feed,
    forbund_id,
    extracted_on,
    lead(extracted_on) over (partition by feed, forbund_id order by extracted_on) as next_extracted_on,
    max(extracted_on) over (partition by feed, forbund_id) as newest_extracted_on,
    min(extracted_on) over (partition by feed, forbund_id) as first_extracted_on

from versions
