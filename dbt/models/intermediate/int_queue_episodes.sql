-- Every stay in a queue the register history shows (domain brief §4 "Flows": waiting, current
-- waits, left the queue without starting), one row per episode with a kodatum, identified by
-- förbund, insats, person and kodatum across the snapshot versions. Its newest version says how
-- the wait ended:
--   started      inskrivning given: the wait ends on inskrivningsdatum;
--   left         still waiting in its newest version, but the förbund has a later version
--                without it: it left the queue without starting, dated on the extract date of
--                that first version without it (the day the register first shows it gone; the
--                day it really left lies between the two extracts and is not delivered);
--                a version closing it without inskrivning (the contract does not allow it
--                today) dates the leaving on its avslutsdatum;
--   waiting      still waiting in the förbund's newest version.
-- Dating a leaving on the extract that reveals it keeps the cut-off: a snapshot extracted after
-- 31 December Y dates every leaving it reveals after that day, so it changes nothing in the
-- months of Y. An episode closed as felregistrering in its newest version was never in the
-- queue (macros/participation.sql). Person-level: the engineers' tier.

with

seen as (

    select
        versions.*,
        row_number() over (
            partition by forbund_id, insats_id, person_id, queued_on order by extracted_on desc
        ) as newest_first

    from {{ ref('int_deltagare_versions') }} as versions
    where queued_on is not null

),

newest as (

    select * from seen where newest_first = 1

)

select
    forbund_id,
    insats_id,
    person_id,
    queued_on,
    entered_on,
    case
        when entered_on is not null then null
        when exited_on is not null then exited_on
        else next_extracted_on
    end as left_queue_on,
    extracted_on as last_seen_on

from newest
where {{ is_participation('exit_reason') }}
