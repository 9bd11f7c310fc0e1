-- Participation episodes from the förbund registers, with the derived facts of domain
-- brief §4: waiting time (kodatum → inskrivningsdatum), months in the insats (30.4-day
-- months from inskrivning to avslut, or to the register's extract date while open; a
-- started month counts as one), age at inskrivning and the months the panel is read at.
-- A row closed as felregistrering is no participation and is left out here, so no count
-- downstream sees it (macros/participation.sql).

with

participations as (

    select * from {{ ref('stg_forbund__deltagare') }}

)

select
    md5(concat_ws('|', forbund_id, insats_id, person_id, coalesce(queued_on::varchar, '-'),
                  coalesce(entered_on::varchar, '-'))) as episode_id,
    forbund_id,
    insats_id,
    person_id,
    sex,
    birth_year,
    home_kommun_code,
    education_level,
    queued_on,
    entered_on,
    exited_on,
    register_status,
    exit_reason,
    extracted_on,
    case when queued_on is not null and entered_on is not null
        then {{ dbt.datediff('queued_on', 'entered_on', 'day') }} end as waiting_days,
    case when entered_on is not null
        then {{ months_in_insats('entered_on', 'coalesce(exited_on, extracted_on)') }}
    end as months_in_insats,
    {{ year_of('entered_on') }} - birth_year as age_at_entry,
    date_trunc('month', entered_on)::date as entry_month,
    date_trunc('month', exited_on)::date as exit_month

from participations
where {{ is_participation('exit_reason') }}
