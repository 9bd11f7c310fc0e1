-- The analysts' five headline queries on published/analyst.duckdb (docs/analysts.md "For analysts").
-- Written so DuckDB and PostgreSQL (the marts, as an analyst login) both run them.
-- `bench.run` times each; {year} is the evaluation year. One query per "-- name:" block.

-- name: outcomes_12m_per_insats
-- Of those who left each insats in the year, how many supported themselves a year later,
-- and how did public support change?
SELECT forbund_id, insats_id, ended, followable_12m, self_supporting_12m, share_self_supporting_12m,
       support_fte_before, support_fte_after,
       support_fk_sek_before + support_af_sek_before + support_kommun_sek_before AS support_sek_before,
       support_fk_sek_after + support_af_sek_after + support_kommun_sek_after AS support_sek_after
FROM marts.mart_outcomes_year
WHERE exit_year = {year}
ORDER BY forbund_id, insats_id;

-- name: national_comparison
-- Each förbund beside the national figures (riket) for the year.
SELECT forbund_id, ended, share_direct_work_or_studies, share_self_supporting_12m
FROM marts.mart_national_year
WHERE year = {year}
ORDER BY forbund_id = 'riket' DESC, share_self_supporting_12m DESC NULLS LAST;

-- name: flows_and_caseload_per_month
-- Active, new, ended, queue and caseload per förbund and month of the year.
SELECT forbund_id, month_start, sum(active_start) AS active_start, sum(new_entries) AS new_entries,
       sum(ended) AS ended, sum(waiting_end) AS waiting_end, sum(coach_fte) AS coach_fte,
       sum(active_end) / nullif(sum(coach_fte), 0) AS active_per_coach_fte
FROM marts.mart_flows_month
WHERE extract(year FROM month_start) = {year}
GROUP BY forbund_id, month_start
ORDER BY forbund_id, month_start;

-- name: transitions_into_work
-- From which situation before inskrivning did people reach work or studies 12 months after exit?
SELECT status_before, status_after, sum(episodes) AS episodes
FROM marts.mart_transitions_year
WHERE exit_year = {year}
GROUP BY status_before, status_after
ORDER BY status_before, episodes DESC;

-- name: socioeconomic_return
-- The socioeconomic return per krona per förbund, all insatser together.
SELECT forbund_id, sum(persons) AS persons, sum(public_gain_sek) AS public_gain_sek, sum(cost_sek) AS cost_sek,
       sum(public_gain_sek) / nullif(sum(cost_sek), 0) AS return_per_krona
FROM marts.mart_socioeconomic_year
WHERE year = {year}
GROUP BY forbund_id
ORDER BY return_per_krona DESC NULLS LAST;
