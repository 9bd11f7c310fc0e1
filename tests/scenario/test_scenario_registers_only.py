"""Scenario: a förbund's own registers are enough to start (issue 14, item 11).

The warehouse holds only sf01's four register snapshots of 30 June 2024 (the registers of
tests/scenario/test_scenario_flows_participants.py; no agency has delivered a month). Worked out by hand:

- The register spine runs from sf01-ips1's start (1 Jan 2022, earlier than any kodatum or
  inskrivning) to the extract (June 2024): 30 months for each of the two insatser.
- The flows are those of the scenario with every feed delivered (FLOWS there, December 2023 –
  June 2024): they need only the registers.
- Participants: 2023 P5 alone; 2024 P1, P2, P3 and P5 (P4 only waits). With no agency month,
  support at start and support before start are unknown for all of them, never 0.
- Enrolled at the end of June 2024: P1 and P5; their work and studies are unknown (null).
- The gate of 2024 fails on exactly the seven monthly feeds, each missing 2023-01–2024-12 (12
  months before the cohorts' earliest inskrivning, P3's January 2024, to the cut-off). It keeps
  that guarantee: the register measures are published only once the board has waived those
  checks for sf01 and 2024; the report then names every missing delivery.
"""

from __future__ import annotations

from tests.conftest import deliver, query
from tests.scenario.test_scenario_flows_participants import DELIVERIES, FLOWS, normalise
from utfall.warehouse.dbt_build import build
from utfall.dq.gate import run_gate
from utfall.dq.gate_model import Scope
from utfall.dq.scope import MONTHLY_FEEDS, SNAPSHOT_FEEDS
from utfall.dq.waivers import record_waiver
from utfall.evaluation.evaluate import evaluate, outbox_folder
from utfall.evaluation.tables_method import FEEDS_SV
from utfall.ingest.loader import load

YEAR = 2024


def test_registers_alone_give_flows_participants_and_a_report_that_names_the_missing_deliveries(home):
    for (feed, name), text in DELIVERIES.items():
        if feed in SNAPSHOT_FEEDS:
            deliver(home, feed, name, text)
    report = load(home)
    assert report.exit_code == 0, [(o.file_name, o.status) for o in report.outcomes]
    result = build(home)
    assert result.success, result.failures

    # no agency month: the panel is empty, the register marts are not
    assert query(home, "SELECT count(*) FROM core.fct_person_months") == [(0,)]
    assert query(home, "SELECT count(*), min(month_start)::VARCHAR, max(month_start)::VARCHAR "
                       "FROM marts.mart_flows_month") == [(2 * 30, "2022-01-01", "2024-06-01")]
    flows = query(home, "SELECT * REPLACE (month_start::VARCHAR AS month_start) FROM marts.mart_flows_month "
                        "WHERE month_start >= '2023-12-01' ORDER BY insats_id, month_start")
    assert [normalise(r) for r in flows] == [normalise(r) for r in FLOWS]

    participants = query(home, """
        SELECT year, dimension, category, persons FROM marts.mart_participants_year
        WHERE dimension IN ('total', 'support_at_start', 'years_in_public_support_before_start')
        ORDER BY year, dimension
    """)
    assert participants == [
        (2023, "support_at_start", "unknown", 1), (2023, "total", "total", 1),
        (2023, "years_in_public_support_before_start", "okand", 1),
        (2024, "support_at_start", "unknown", 4), (2024, "total", "total", 4),
        (2024, "years_in_public_support_before_start", "okand", 4),
    ]
    assert query(home, "SELECT enrolled, in_work, in_neither, share_in_work FROM marts.mart_active_status_month "
                       "WHERE insats_id = 'sf01-ips1' AND month_start = '2024-06-01'") == [(2, None, None, None)]

    # the gate names every missing month of every feed, and nothing else blocks
    run = run_gate(home, Scope(YEAR, "sf01"))
    assert not run.passed
    assert sorted((r.check_id, r.violated_rows, r.denominator, tuple(r.examples)) for r in run.blocking) == sorted(
        (f"completeness_months_{feed}", 24, 24, ("saknas: 2023-01–2024-12",)) for feed in MONTHLY_FEEDS)

    for feed in MONTHLY_FEEDS:
        record_waiver(home, f"completeness_months_{feed}", YEAR, "sf01",
                      "förbundet har bara sina egna register ännu; registermåtten redovisas", "Anna Analytiker")
    assert run_gate(home, Scope(YEAR, "sf01")).passed

    evaluate(home, YEAR, "sf01", workers=1)
    html = " ".join((outbox_folder(home, "sf01", YEAR) / "utvardering.html").read_text(encoding="utf-8").split())
    names = ", ".join(FEEDS_SV[feed] for feed in MONTHLY_FEEDS)
    assert names.startswith("Utbetalningar (Försäkringskassan), ")
    # once in the summary and once in the method section
    assert html.count(f"till och med december {YEAR} (saknas: {names}).") == 2
    assert html.count("inte levererad") == len(MONTHLY_FEEDS)
    # what was published are the register figures of the year: 2024's six months, every insats
    assert query(home, "SELECT insats_id, sum(new_entries)::INT, sum(ended)::INT FROM published.mart_flows_month "
                       "WHERE evaluation_year = 2024 GROUP BY insats_id ORDER BY insats_id") == [
        ("sf01-ips1", 3, 2), ("sf01-se1", 0, 0)]
