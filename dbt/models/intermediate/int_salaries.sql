-- Salaries per person, month and employer sector (Skatteverket, current loads) for
-- mart_jobs_sector_year: marts read intermediate, not staging. Person-level: engineers' tier.

select
    person_id,
    month_start,
    employer_sector,
    gross_salary_sek

from {{ ref('stg_skv__lon') }}
