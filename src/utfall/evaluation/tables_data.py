"""What the evaluation reads from the warehouse: the marts only (person-free, documented; the
dbt exposure utfall_evaluation lists them and tests/evaluation/test_evaluation_reads_marts.py holds this
module to it), and the quality gate's own records (dq).

All queries are read-only and ordered, so the same warehouse gives the same report.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from utfall.dq.cohorts import FOLLOW_UPS
from utfall.dq import store
from utfall.dq.scope import MONTHLY_FEEDS


@dataclass(frozen=True)
class Insats:
    insats_id: str
    name: str
    method: str


def forbund_name(con, forbund_id: str) -> str:
    """The förbund's name from the seed forbund (marts.dim_forbund). The gate refuses a delivery
    from an id the seed lacks, so a missing row is a warehouse built without the seed: say so."""
    row = con.execute("SELECT forbund_name FROM marts.dim_forbund WHERE forbund_id = ?", [forbund_id]).fetchone()
    if row is None:
        raise LookupError(f"förbund {forbund_id!r} is not in marts.dim_forbund (seeds/forbund.csv); "
                          "add it there and run utfall build")
    return row[0]


def active_insatser(con, forbund_id: str, year: int) -> list[Insats]:
    """Insatser of the förbund with a participant (an active episode) in the year."""
    rows = con.execute(
        """
        SELECT DISTINCT i.insats_id, i.insats_name, i.method
        FROM marts.dim_insatser i
        JOIN marts.mart_participants_year p
          ON p.forbund_id = i.forbund_id AND p.insats_id = i.insats_id
        WHERE i.forbund_id = ? AND p.year = ? AND p.dimension = 'total' AND p.persons > 0
        ORDER BY i.insats_id
        """,
        [forbund_id, year],
    ).fetchall()
    return [Insats(*r) for r in rows]


def df(con, sql: str, params: list) -> pd.DataFrame:
    return con.execute(sql, params).df()


def participants(con, forbund_id: str, year: int) -> pd.DataFrame:
    return df(con, """
        SELECT insats_id, dimension, category, category_label, persons
        FROM marts.mart_participants_year
        WHERE forbund_id = ? AND year = ?
        ORDER BY insats_id, dimension, category
    """, [forbund_id, year])


def flows(con, forbund_id: str, year: int) -> pd.DataFrame:
    return df(con, """
        SELECT insats_id, month_start, active_start, new_entries, ended, active_end, waiting_end,
               median_wait_days, coach_fte, active_per_coach_fte
        FROM marts.mart_flows_month
        WHERE forbund_id = ? AND year = ?
        ORDER BY insats_id, month_start
    """, [forbund_id, year])


def active_status(con, forbund_id: str, year: int) -> pd.DataFrame:
    """The enrolled at each month's end of the year and their work and studies (status columns
    are null in a month outside the complete data)."""
    return df(con, """
        SELECT insats_id, month_start, enrolled, in_work, in_subsidised_work, in_studies, in_work_and_studies,
               in_neither, share_in_work
        FROM marts.mart_active_status_month
        WHERE forbund_id = ? AND year = ?
        ORDER BY insats_id, month_start
    """, [forbund_id, year])


def trend(con, forbund_id: str, year: int) -> dict[str, pd.DataFrame]:
    """The yearly series up to `year` (every year with data or exits) and what each insats has done
    since its start, as known at the year's end. `outcomes` is by exit year (the 12-month figures
    of the evaluation of Y are the exit year Y − 1's)."""
    return {
        "participants": df(con, """
            SELECT insats_id, year, persons FROM marts.mart_participants_year
            WHERE forbund_id = ? AND year <= ? AND dimension = 'total' ORDER BY insats_id, year
        """, [forbund_id, year]),
        "flows": df(con, """
            SELECT insats_id, year, sum(new_entries) AS new_entries FROM marts.mart_flows_month
            WHERE forbund_id = ? AND year <= ? GROUP BY insats_id, year ORDER BY insats_id, year
        """, [forbund_id, year]),
        "outcomes": df(con, """
            SELECT insats_id, exit_year AS year, ended, followable_after_exit, direct_work_or_studies,
                   followable_12m, self_supporting_12m
            FROM marts.mart_outcomes_year WHERE forbund_id = ? AND exit_year <= ? ORDER BY insats_id, exit_year
        """, [forbund_id, year]),
        "since_start": df(con, """
            SELECT insats_id, started_on, first_entry_on, participants_since_start, ended_since_start
            FROM marts.mart_insats_since_start WHERE forbund_id = ? AND year = ? ORDER BY insats_id
        """, [forbund_id, year]),
    }


def outcomes(con, forbund_id: str, year: int) -> pd.DataFrame:
    """The exit cohorts the evaluation of `year` follows (evaluation/cohorts.py), one row per insats and cohort."""
    cohorts = sorted({f.cohort(year) for f in FOLLOW_UPS})
    return df(con, f"""
        SELECT * FROM marts.mart_outcomes_year
        WHERE forbund_id = ? AND exit_year IN ({', '.join('?' for _ in cohorts)})
        ORDER BY insats_id, exit_year
    """, [forbund_id, *cohorts])


def outcome_categories(con, forbund_id: str, year: int) -> pd.DataFrame:
    """Work and studies at each follow-up point, for the exit cohort the evaluation of `year`
    follows there (cohorts.py); a category with no row has no episode."""
    pairs = [(f.suffix, f.cohort(year)) for f in FOLLOW_UPS]
    return df(con, f"""
        SELECT insats_id, exit_year, follow_up, category, episodes
        FROM marts.mart_outcome_categories_year
        WHERE forbund_id = ? AND ({' OR '.join('(follow_up = ? AND exit_year = ?)' for _ in pairs)})
        ORDER BY insats_id, follow_up, category
    """, [forbund_id, *[v for pair in pairs for v in pair]])


def _exit_cohort(con, select: str, order: str, forbund_id: str, exit_year: int) -> pd.DataFrame:
    """`select` (… FROM marts.<a mart keyed by exit year>) for one förbund and exit cohort."""
    return df(con, f"{select} WHERE forbund_id = ? AND exit_year = ? ORDER BY {order}", [forbund_id, exit_year])


def jobs(con, forbund_id: str, exit_year: int) -> pd.DataFrame:
    """Persons in work the month after exit, by employer sector and lönestöd, for one exit cohort."""
    return _exit_cohort(con, "SELECT insats_id, employer_sector, is_subsidised_work, persons "
                             "FROM marts.mart_jobs_sector_year",
                        "insats_id, employer_sector, is_subsidised_work", forbund_id, exit_year)


def transitions(con, forbund_id: str, exit_year: int) -> pd.DataFrame:
    return _exit_cohort(con, "SELECT insats_id, status_before, status_after, episodes FROM marts.mart_transitions_year",
                        "insats_id, status_before, status_after", forbund_id, exit_year)


def time_to_work(con, forbund_id: str, year: int) -> pd.DataFrame:
    """The time-to-work curves as known at the end of the year."""
    return df(con, """
        SELECT insats_id, month_since_entry, at_risk, events, censored, survival, share_in_work, working_before_entry
        FROM marts.mart_time_to_work
        WHERE forbund_id = ? AND year = ?
        ORDER BY insats_id, month_since_entry
    """, [forbund_id, year])


def national(con, year: int) -> pd.DataFrame:
    return df(con, "SELECT * FROM marts.mart_national_year WHERE year = ? ORDER BY forbund_id", [year])


def caseload(con, forbund_id: str, year: int) -> pd.DataFrame:
    """Per insats: months judged and months above the caseload goal over the year."""
    return df(con, """
        SELECT insats_id, months_judged, months_above_goal, goal_participants_per_coach
        FROM marts.mart_caseload_year
        WHERE forbund_id = ? AND year = ?
        ORDER BY insats_id
    """, [forbund_id, year])


def goals(con, forbund_id: str, year: int) -> pd.DataFrame:
    return df(con, """
        SELECT insats_id, cost_sek, coach_fte, goal_share_work, goal_share_studies, goal_share_occupation,
               goal_participants_per_coach
        FROM marts.mart_insats_plan_year
        WHERE forbund_id = ? AND year = ?
        ORDER BY insats_id
    """, [forbund_id, year])


def fidelity(con, forbund_id: str, year: int) -> pd.DataFrame:
    """IPS-25 reviews up to the end of the year, newest first."""
    return df(con, """
        SELECT *
        FROM marts.mart_fidelity_reviews
        WHERE forbund_id = ? AND reviewed_on <= CAST(? AS DATE)
        ORDER BY insats_id, reviewed_on DESC
    """, [forbund_id, f"{year}-12-31"])


def ips25_items(con) -> pd.DataFrame:
    """The 25 IPS-25 items with area and Swedish name (the seed ips25_items)."""
    return df(con, "SELECT item, area, item_name FROM reference.ips25_items ORDER BY item", [])


def descriptions(con, forbund_id: str, year: int) -> pd.DataFrame:
    """Per insats what the förbund's registers say of it (dim_insatser) and its plan for the year
    (mart_insats_plan_year: budget, cost, coach FTE, goals); plan columns null without an insats_ar row."""
    return df(con, """
        SELECT i.insats_id, i.method, i.operator, i.target_group, i.started_on, i.ended_on,
               p.budget_sek, p.cost_sek, p.coach_fte, p.goal_share_work, p.goal_share_studies,
               p.goal_share_occupation, p.goal_participants_per_coach
        FROM marts.dim_insatser i
        LEFT JOIN marts.mart_insats_plan_year p
          ON p.forbund_id = i.forbund_id AND p.insats_id = i.insats_id AND p.year = ?
        WHERE i.forbund_id = ?
        ORDER BY i.insats_id
    """, [year, forbund_id])


def data_period(con) -> dict:
    row = con.execute(
        "SELECT first_month, first_complete_month, last_month, last_complete_month FROM marts.mart_data_period"
    ).fetchone()
    return dict(zip(("first_month", "first_complete_month", "last_month", "last_complete_month"), row or (None,) * 4))


def sources(con, forbund_id: str, year: int) -> pd.DataFrame:
    """Per feed: the months covered up to the year's cut-off (monthly feeds), or the register
    extract (the förbund's snapshots)."""
    return df(con, """
        SELECT feed, min(month_start) AS first_month, max(month_start) AS last_month,
               count(*) AS months, CAST(NULL AS DATE) AS extracted_on
        FROM marts.mart_source_months
        WHERE month_start <= CAST(? AS DATE)
        GROUP BY feed
        UNION ALL
        SELECT feed, NULL, NULL, 0, extracted_on
        FROM marts.mart_sources
        WHERE forbund_id = ?
        ORDER BY feed
    """, [f"{year}-12-01", forbund_id])


def missing_monthly_feeds(con, year: int) -> list[str]:
    """The monthly feeds (in contract order) with no month delivered up to the year's cut-off:
    the measures that need them cannot be shown, and the report says which deliveries are missing."""
    delivered = {r[0] for r in con.execute(
        "SELECT DISTINCT feed FROM marts.mart_source_months WHERE month_start <= CAST(? AS DATE)",
        [f"{year}-12-01"]).fetchall()}
    return [feed for feed in MONTHLY_FEEDS if feed not in delivered]


def gate(con, run_id: str, forbund_id: str, year: int) -> tuple[dict | None, pd.DataFrame, pd.DataFrame]:
    """(the run, result counts by status for the förbund, waivers that apply); empty without dq tables."""
    if not store.has_tables(con):
        return None, pd.DataFrame(), pd.DataFrame()
    run = con.execute(
        "SELECT run_id, year, forbund_id, started_at, finished_at, passed, blocking_failures FROM dq.runs WHERE run_id = ?",
        [run_id],
    ).fetchone()
    run_dict = None if run is None else dict(zip(
        ("run_id", "year", "forbund_id", "started_at", "finished_at", "passed", "blocking_failures"), run))
    results = df(con, """
        SELECT status, count(*) AS checks
        FROM dq.results
        WHERE run_id = ? AND (forbund_id IS NULL OR forbund_id = ?)
        GROUP BY status ORDER BY status
    """, [run_id, forbund_id])
    waivers = df(con, """
        SELECT w.waiver_id, w.check_id, w.forbund_id, w.reason, w.waived_by, w.waived_at
        FROM dq.waivers w
        WHERE w.year = ? AND (w.forbund_id IS NULL OR w.forbund_id = ?)
        ORDER BY w.waiver_id
    """, [year, forbund_id])
    return run_dict, results, waivers


def socioeconomic(con, forbund_id: str, year: int) -> pd.DataFrame:
    """The förbund's rows of mart_socioeconomic_year for the year (one per insats)."""
    return df(con, "SELECT * FROM marts.mart_socioeconomic_year WHERE forbund_id = ? AND year = ? ORDER BY insats_id",
              [forbund_id, year])


def queue_by_insats(con, forbund_id: str, year: int, threshold: int) -> dict[str, dict]:
    """The year's queue per insats (mart_queue_year): the median waiting days of the year's
    inskrivningar, the queue on 31 December (how many, median and longest current wait) and those
    who left it without starting. A median over fewer than `threshold` waiting times is left out:
    it would be one person's wait (the current waits are hidden with their count when suppressed)."""
    rows = df(con, """
        SELECT insats_id, CASE WHEN entries_with_queue >= ? THEN median_wait_days END AS median_wait_days,
               waiting_year_end, median_current_wait_days_year_end, max_current_wait_days_year_end,
               left_queue_without_start
        FROM marts.mart_queue_year
        WHERE forbund_id = ? AND year = ?
        ORDER BY insats_id
    """, [threshold, forbund_id, year])
    return {r["insats_id"]: r for r in rows.to_dict("records")}


def register_months(con, forbund_id: str, year: int) -> pd.DataFrame:
    """Per insats and month of the year: the queue and the aktiv/passiv status from every register
    version (mart_register_month); null where no version tells."""
    return df(con, """
        SELECT insats_id, month_start, waiting_end, status_passive_end
        FROM marts.mart_register_month
        WHERE forbund_id = ? AND year = ?
        ORDER BY insats_id, month_start
    """, [forbund_id, year])
