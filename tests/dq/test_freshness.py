"""Feed freshness against the delivery agreements, on a fixed day, on both warehouses."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest

from tests.conftest import VENV_BIN, cli_env, deliver
from tests.support.samples import DELTAGARE_HEADER, DELTAGARE_ROWS, GOOD_FK, GOOD_REGION
from utfall.db import connection
from utfall.db.config import Paths
from utfall.ingest.contracts import FEEDS
from utfall.dq.freshness import NEVER, ON_TIME, OVERDUE, Freshness, feed_freshness, monthly_due
from utfall.ingest.loader import load


@pytest.fixture
def home(home_on_each_warehouse: Paths) -> Paths:
    """Every test here runs on both warehouses."""
    return home_on_each_warehouse


def _deliveries(home) -> None:
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202402.csv", GOOD_FK.replace("2024-01", "2024-02"))
    deliver(home, "region_vard", "region_vard_202401.csv", GOOD_REGION)
    # a refused February is no delivery: region_vard's latest stays January
    deliver(home, "region_vard", "region_vard_202402.csv", GOOD_REGION.replace("2024-01", "2024-02") + "x;y\n")
    deliver(home, "deltagare", "deltagare_sf01_20241201.csv", "\n".join([DELTAGARE_HEADER, *DELTAGARE_ROWS]) + "\n")
    deliver(home, "deltagare", "deltagare_sf02_20240301.csv",
            "\n".join([DELTAGARE_HEADER, DELTAGARE_ROWS[0].replace("sf01", "sf02")]) + "\n")
    assert [o.status for o in load(home).outcomes] == ["loaded", "loaded", "loaded", "loaded", "loaded",
                                                       "quarantined"]


def _freshness(home, today: date) -> dict[str, Freshness]:
    con = connection.connect_warehouse(home, read_only=True)
    try:
        return {f.feed: f for f in feed_freshness(con, today)}
    finally:
        con.close()


def test_month_m_is_due_by_the_20th_of_the_next_month():
    assert monthly_due(date(2024, 3, 1)) == date(2024, 4, 20)
    assert monthly_due(date(2024, 12, 1)) == date(2025, 1, 20)


def test_freshness_flags_overdue_feeds_on_a_fixed_day(home):
    _deliveries(home)
    # 20 April 2024: FK's March is due today (not late yet); region_vard's February was due on
    # 20 March (31 days ago); sf02's deltagare snapshot of 1 March is due again by 30 April.
    on_20_april = _freshness(home, date(2024, 4, 20))
    assert list(on_20_april) == list(FEEDS)
    assert on_20_april["fk_utbetalningar"] == Freshness("fk_utbetalningar", "2024-02", date(2024, 4, 20), ON_TIME, 0,
                                                        "2024-03 due by 2024-04-20")
    assert on_20_april["region_vard"] == Freshness("region_vard", "2024-01", date(2024, 3, 20), OVERDUE, 31,
                                                   "2024-02 due by 2024-03-20")
    assert on_20_april["deltagare"].status == ON_TIME
    assert on_20_april["deltagare"].next_due == date(2024, 4, 30)
    assert on_20_april["deltagare"].latest == "2024-03-01"  # the least recent förbund's newest extract
    never = {name for name, f in on_20_april.items() if f.status == NEVER}
    assert never == set(FEEDS) - {"fk_utbetalningar", "region_vard", "deltagare"}

    # 1 May: FK 11 days late, region_vard 42, sf02's snapshot 1 day (sf01's of 1 December is not due)
    on_1_may = _freshness(home, date(2024, 5, 1))
    assert (on_1_may["fk_utbetalningar"].status, on_1_may["fk_utbetalningar"].days_overdue) == (OVERDUE, 11)
    assert on_1_may["region_vard"].days_overdue == 42
    assert on_1_may["deltagare"] == Freshness("deltagare", "2024-03-01", date(2024, 4, 30), OVERDUE, 1,
                                              "late: sf02 (due 2024-04-30)")


def test_ledger_shows_freshness_on_the_day_asked(home):
    _deliveries(home)
    result = subprocess.run([str(VENV_BIN / "utfall"), "ledger", "--as-of", "2024-05-01"], env=cli_env(home),
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Feed freshness on 2024-05-01" in result.stdout
    rows = {line.split()[1]: line for line in result.stdout.splitlines() if line.startswith("│")}
    assert "overdue 11 d" in rows["fk_utbetalningar"] and "2024-03 due by 2024-04-20" in rows["fk_utbetalningar"]
    assert "overdue 42 d" in rows["region_vard"]
    assert "late: sf02 (due 2024-04-30)" in rows["deltagare"]
    assert "never delivered" in rows["skv_lon"]


@pytest.mark.parametrize("day", ["2024-13-01", "yesterday"])
def test_ledger_refuses_a_day_that_is_no_date(home, day):
    result = subprocess.run([str(VENV_BIN / "utfall"), "ledger", "--as-of", day], env=cli_env(home),
                            capture_output=True, text=True)
    assert result.returncode == 2 and "--as-of" in result.stderr
