-- The jobs people got (issue 16): per förbund, insats and exit year, the persons in work the month
-- after exit (with or without lönestöd, as mart_outcome_categories_year counts work) by their
-- employer's sector in Skatteverket's arbetsgivardeklaration and by lönestöd. Each person is counted
-- once: with two exits of the insats in the year, the later one in work; with salary from two
-- sectors that month, the sector paying the most (ties: the first by name), so the sectors add up to
-- the persons in work. Keyed by exit cohort with all delivered data. Person-free.

with

episodes as (

    select
        forbund_id, insats_id, exit_year, person_id, exited_on,
        {{ month_after('exited_on', 1) }} as month_after_exit
    from {{ ref('fct_episodes') }}
    -- followable the month after exit exactly where fct_episodes has that status
    where register_status = 'avslutad' and status_after_exit is not null

),

panel as (

    select person_id, month_start, is_work, is_subsidised_work
    from {{ ref('fct_person_months') }}
    where is_work or is_subsidised_work

),

salaries as (

    select person_id, month_start, employer_sector, sum(gross_salary_sek) as gross_salary_sek
    from {{ ref('int_salaries') }}
    where gross_salary_sek > 0
    group by person_id, month_start, employer_sector

),

in_work as (

    select episodes.*, panel.is_subsidised_work
    from episodes
    inner join panel
        on panel.person_id = episodes.person_id and panel.month_start = episodes.month_after_exit

),

-- no QUALIFY: the same SQL runs on PostgreSQL
ranked_exits as (

    select
        *,
        row_number() over (
            partition by forbund_id, insats_id, exit_year, person_id order by exited_on desc
        ) as exit_rank
    from in_work

),

one_per_person as (

    select * from ranked_exits where exit_rank = 1

),

ranked_sectors as (

    select
        one_per_person.forbund_id,
        one_per_person.insats_id,
        one_per_person.exit_year,
        one_per_person.person_id,
        one_per_person.is_subsidised_work,
        salaries.employer_sector,
        row_number() over (
            partition by one_per_person.forbund_id, one_per_person.insats_id, one_per_person.exit_year,
                one_per_person.person_id
            order by salaries.gross_salary_sek desc, salaries.employer_sector
        ) as sector_rank
    from one_per_person
    inner join salaries
        on salaries.person_id = one_per_person.person_id
        and salaries.month_start = one_per_person.month_after_exit

),

main_sector as (

    select * from ranked_sectors where sector_rank = 1

)

select
    forbund_id,
    insats_id,
    cast(exit_year as integer) as exit_year,
    employer_sector,
    is_subsidised_work,
    cast(count(*) as integer) as persons

from main_sector
group by forbund_id, insats_id, exit_year, employer_sector, is_subsidised_work
