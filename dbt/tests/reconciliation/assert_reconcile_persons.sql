{{ config(meta={'dq_check': 'warehouse_reconcile_persons'}, fail_calc='coalesce(sum(persons), 0)') }}
-- Persons in core = persons in the förbund registers (staging), per förbund: every person of
-- a förbund's register has that förbund's episodes in core.fct_episodes and months in the
-- panel core.fct_person_months (once any agency month is delivered), and neither holds anybody
-- else. The panel has no förbund: a
-- register person missing from it counts under each of their förbund; a panel person in no
-- register under forbund_id null. Returns counts only (no person_id); failures = persons.

with

registers as (

    select distinct forbund_id, person_id from {{ ref('stg_forbund__deltagare') }}

),

-- a person whose only rows are felregistrering has no participation, so no episode
participants as (

    select distinct forbund_id, person_id from {{ ref('stg_forbund__deltagare') }}
    where {{ is_participation('exit_reason') }}

),

episodes as (

    select distinct forbund_id, person_id from {{ ref('fct_episodes') }}

),

panel as (

    select distinct person_id from {{ ref('fct_person_months') }}

),

differences as (

    select participants.forbund_id, 'in register, no episode in core' as difference
    from participants
    left join episodes using (forbund_id, person_id)
    where episodes.person_id is null

    union all

    select episodes.forbund_id, 'episode in core, not in register'
    from episodes
    left join participants using (forbund_id, person_id)
    where participants.person_id is null

    union all

    select registers.forbund_id, 'in register, not in panel'
    from registers
    left join panel using (person_id)
    where panel.person_id is null
      -- the panel spans the months agencies delivered: before any delivery it is empty for all
      and exists (select 1 from {{ ref('int_month_spine') }})

    union all

    select null, 'in panel, in no register'
    from panel
    where person_id not in (select person_id from registers)

)

select forbund_id, difference, count(*) as persons
from differences
group by forbund_id, difference
