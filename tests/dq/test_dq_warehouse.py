"""The quality gate's warehouse level (dbt tests) and evaluation level (GX suites on the marts).

Each test gets a copy of the clean warehouse built once per session (conftest `clean_home`); each fault is injected into a copy and must make the level's
measure() fail on exactly the check that names it, for the förbund it concerns — and, run
through the whole gate, make it refuse (exit 1) naming exactly that check.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.conftest import GATE_YEAR, deliver, query
from utfall.warehouse.build_state import builds_path
from utfall.warehouse.dbt_build import build, dbt_target_path, run_dbt
from utfall.db.config import Paths
from utfall.dq import dbt_tests, mart_suites
from utfall.dq.catalogue import load_catalogue
from utfall.dq.gate import run_gate
from utfall.dq.gate_model import Scope
from utfall.evaluation.evaluate import EVALUATION_TABLES
from utfall.ingest.loader import load
from utfall.warehouse.build_and_publish import build_and_publish


@pytest.fixture
def built(clean_home: Paths) -> Paths:
    """A private copy of the clean, built gate data (conftest: built once per session)."""
    return clean_home


def failing(measurements) -> set[tuple[str, str | None]]:
    return {(m.check_id, m.forbund_id) for m in measurements if m.violated_rows or m.error}


def gate_blocks(paths: Paths, scope: Scope) -> set[tuple[str, str | None]]:
    """The whole gate's blocking results (every level), as (check, förbund)."""
    run = run_gate(paths, scope)
    assert run.passed == (not run.blocking)
    return {(r.check_id, r.forbund_id) for r in run.blocking}


def by_key(measurements) -> dict[tuple[str, str | None], object]:
    return {(m.check_id, m.forbund_id): m for m in measurements}


def assert_no_person_ids(measurements, person_ids: set[str]) -> None:
    text = " ".join(e for m in measurements for e in m.examples)
    assert "person_id" not in text
    assert not any(p in text for p in person_ids)


# --- the catalogue mapping --------------------------------------------------------------------


def test_every_dbt_test_and_expectation_maps_to_exactly_one_catalogue_check(tmp_path, monkeypatch):
    paths = Paths(tmp_path / "home")
    monkeypatch.setenv("UTFALL_HOME", str(paths.home))
    assert run_dbt(paths, "parse").success
    manifest = dbt_tests.read_artifact(paths, "manifest.json")
    catalogue = load_catalogue()
    nodes = {**manifest["nodes"], **manifest.get("sources", {})}
    tests = dbt_tests.data_tests(manifest)
    assert len(tests) > 150  # the project's tests, not an empty parse

    mapped = {uid: dbt_tests.check_id_for(t, nodes) for uid, t in tests.items()}
    not_in_catalogue = {uid: cid for uid, cid in mapped.items() if cid not in catalogue}
    assert not not_in_catalogue, f"dbt tests without a catalogue entry: {not_in_catalogue}"
    wrong_level = {uid: cid for uid, cid in mapped.items() if catalogue[cid].level != "warehouse"}
    assert not wrong_level
    warehouse_entries = {cid for cid, e in catalogue.items() if e.level == "warehouse"}
    assert warehouse_entries - set(mapped.values()) == set(), "warehouse checks no dbt test runs"

    expectation_checks = [e["meta"]["dq_check"] for p in mart_suites.suite_paths()
                          for e in mart_suites.load_suite_dict(p)["expectations"]]
    # every published evaluation table has its suite
    assert {p.stem for p in mart_suites.suite_paths()} == set(EVALUATION_TABLES) == {
        "mart_flows_month", "mart_outcomes_year", "mart_participants_year", "mart_transitions_year",
        "mart_time_to_work", "mart_national_year", "mart_socioeconomic_year", "mart_active_status_month"}
    assert all(catalogue[c].level == "evaluation" for c in expectation_checks)
    evaluation_entries = {cid for cid, e in catalogue.items() if e.level == "evaluation"}
    assert set(expectation_checks) == evaluation_entries


# --- clean data --------------------------------------------------------------------------------


def test_clean_warehouse_passes_every_warehouse_and_evaluation_check(built: Paths):
    scope = Scope(GATE_YEAR)
    measured = dbt_tests.measure(built, scope) + mart_suites.measure(built, scope)
    assert failing(measured) == set()
    assert not [m for m in measured if m.not_applicable]
    catalogue = load_catalogue()
    mine = {cid for cid, e in catalogue.items() if e.level in ("warehouse", "evaluation")}
    assert {m.check_id for m in measured} == mine
    # per förbund where the failing rows can say which förbund: both generated förbund
    assert {m.forbund_id for m in measured if m.check_id == "warehouse_episode_insats_known"} == {"sf01", "sf02"}
    assert {m.forbund_id for m in measured if m.check_id == "evaluation_national_riket_sum"} == {None}
    # denominators: e.g. the insats check counts each förbund's episodes
    episodes = dict(query(built, "SELECT forbund_id, count(*) FROM core.fct_episodes GROUP BY 1"))
    insats = by_key(measured)
    assert insats[("warehouse_episode_insats_known", "sf01")].denominator == episodes["sf01"]
    assert insats[("warehouse_episode_insats_known", "sf02")].denominator == episodes["sf02"]
    # Data Docs of the evaluation suites' results
    index = mart_suites.data_docs_index(built)
    assert index is not None and index.parent == built.home / "dq" / "data_docs"
    assert "evaluation__mart_outcomes_year" in index.read_text(encoding="utf-8")


# --- faults ----------------------------------------------------------------------------------


def test_episode_of_an_unknown_insats_fails_the_relationships_check_and_still_publishes(built: Paths):
    """A corrected sf01 register in which one ended episode points at an insats sf01 does not have."""
    archived = next((built.archive / "deltagare").glob("*__deltagare_sf01_*.csv"))
    rows = list(csv.DictReader(io.StringIO(archived.read_text(encoding="utf-8")), delimiter=";"))
    moved = next(r for r in rows if r["status"] == "avslutad" and r["inskrivningsdatum"] >= "2022-01-01")
    moved["insats_id"] = "sf01-okand"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=";", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    deliver(built, "deltagare", "deltagare_sf01_20250115.csv", out.getvalue())
    assert not load(built, today=date(2025, 3, 1)).quarantined
    # only warns during the build: the analysts' marts are still published
    assert build_and_publish(built).published is not None

    measured = dbt_tests.measure(built, Scope(GATE_YEAR))
    # the one episode is unknown in sf01's register; its entry (inside the data) is lost from
    # mart_flows_month, which has rows only for registered insatser: the reconciliation says so
    assert failing(measured) == {("warehouse_episode_insats_known", "sf01"), ("warehouse_reconcile_episodes", "sf01")}
    m = by_key(measured)
    assert m[("warehouse_episode_insats_known", "sf01")].violated_rows == 1
    assert m[("warehouse_episode_insats_known", "sf02")].violated_rows == 0
    assert any("insats_id=sf01-okand" in e for e in m[("warehouse_episode_insats_known", "sf01")].examples)
    recon = m[("warehouse_reconcile_episodes", "sf01")]
    assert recon.violated_rows == 1
    assert any("insats_id=sf01-okand" in e and "measure=new_entries" in e for e in recon.examples)
    assert_no_person_ids(measured, {moved["person_id"]})
    # the gate refuses the year naming exactly these two checks, both for sf01 (nothing for sf02)
    assert gate_blocks(built, Scope(GATE_YEAR)) == failing(measured)


def test_a_register_from_a_forbund_the_seed_does_not_know_fails_the_gate_naming_it(built: Paths):
    """An insatser register delivered under the id 'nf7', which seeds/forbund.csv does not list."""
    archived = next((built.archive / "insatser").glob("*__insatser_sf01_*.csv"))
    text = archived.read_text(encoding="utf-8").replace("sf01", "nf7")
    deliver(built, "insatser", "insatser_nf7_20250115.csv", text)
    assert not load(built, today=date(2025, 3, 1)).quarantined
    # only warns during the build, as the other register checks: the analysts' marts still publish
    assert build_and_publish(built).published is not None

    measured = dbt_tests.measure(built, Scope(GATE_YEAR))
    m = by_key(measured)
    # nf7 delivered a register, so it is in the gate's scope: the check fails for it, naming the
    # id and the register; the known förbund pass it
    check = m[("warehouse_register_forbund_known", "nf7")]
    assert check.violated_rows == 1
    (example,) = check.examples
    assert example.endswith(": forbund_id=nf7, register=insatser"), example
    assert m[("warehouse_register_forbund_known", "sf01")].violated_rows == 0
    assert m[("warehouse_register_forbund_known", "sf02")].violated_rows == 0
    assert ("warehouse_register_forbund_known", "nf7") in gate_blocks(built, Scope(GATE_YEAR))


def test_sek_that_do_not_reconcile_fail_the_reconciliation_check(built: Paths):
    """A deliberately broken fixture: one person-month's FK support in the panel off by 1,000 SEK.

    (The incremental panel keeps the tampered row through the next build, which rebuilds no
    month since no delivery changed; its reconciliation test sees the row and only warns, and
    the gate judges that build's results.)"""
    person, month, forbund = query(built, """
        SELECT p.person_id, p.month_start, min(e.forbund_id)
        FROM core.fct_person_months AS p JOIN core.fct_episodes AS e USING (person_id)
        WHERE p.support_fk_sek > 0 AND p.year = 2023
        GROUP BY 1, 2 HAVING count(DISTINCT e.forbund_id) = 1
        ORDER BY 1, 2 LIMIT 1""")[0]
    # the panel's stored table: core.fct_person_months, or the incremental int_person_months under its view
    (schema, table), = query(built, """
        SELECT table_schema, table_name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND (table_schema, table_name) IN
              (('core', 'fct_person_months'), ('intermediate', 'int_person_months'))""")
    with duckdb.connect(str(built.warehouse)) as con:
        con.execute(f"UPDATE {schema}.{table} SET support_fk_sek = support_fk_sek + 1000 "
                    "WHERE person_id = ? AND month_start = ?", [person, month])
    assert build(built).success

    measured = dbt_tests.measure(built, Scope(GATE_YEAR))
    # one förbund × month × payer cell no longer adds up; the other förbund's are untouched
    assert failing(measured) == {("warehouse_reconcile_support_sek", forbund)}
    other = "sf02" if forbund == "sf01" else "sf01"
    m = by_key(measured)
    assert m[("warehouse_reconcile_support_sek", forbund)].violated_rows == 1
    assert m[("warehouse_reconcile_support_sek", other)].violated_rows == 0
    (example,) = m[("warehouse_reconcile_support_sek", forbund)].examples
    assert f"month_start={month}" in example and "payer=FK" in example
    delivered = float(example.split("delivered_sek=")[1].split(",")[0])
    panel = float(example.split("panel_sek=")[1])
    assert panel - delivered == 1000
    assert_no_person_ids(measured, {person})
    assert gate_blocks(built, Scope(GATE_YEAR)) == {("warehouse_reconcile_support_sek", forbund)}


def test_mart_share_above_one_fails_the_evaluation_check(built: Paths):
    """A deliberately broken fixture: one insats's 12-month self-support share set to 1.5."""
    forbund, insats = query(built, f"""
        SELECT forbund_id, insats_id FROM marts.mart_outcomes_year
        WHERE exit_year = {GATE_YEAR} AND followable_12m > 0 ORDER BY 1, 2 LIMIT 1""")[0]
    with duckdb.connect(str(built.warehouse)) as con:
        con.execute("UPDATE marts.mart_outcomes_year SET share_self_supporting_12m = 1.5 "
                    "WHERE forbund_id = ? AND insats_id = ? AND exit_year = ?", [forbund, insats, GATE_YEAR])

    measured = mart_suites.measure(built, Scope(GATE_YEAR))
    assert failing(measured) == {("evaluation_outcomes_shares_0_1", forbund)}
    m = by_key(measured)[("evaluation_outcomes_shares_0_1", forbund)]
    # the rows the evaluation of the year reads: its cohorts, exits of the year and two years before
    rows = query(built, f"SELECT count(*) FROM marts.mart_outcomes_year "
                        f"WHERE exit_year BETWEEN {GATE_YEAR - 2} AND {GATE_YEAR} AND forbund_id = ?", [forbund])[0][0]
    assert (m.violated_rows, m.denominator) == (1, rows)
    assert m.examples == [f"forbund_id={forbund}, insats_id={insats}, exit_year={GATE_YEAR}, "
                          f"share_self_supporting_12m=1.5"]
    # another year is not this year's problem
    assert failing(mart_suites.measure(built, Scope(GATE_YEAR - 1))) == set()
    # the gate's warehouse level sees it too: the dbt test on the mart's shares
    assert gate_blocks(built, Scope(GATE_YEAR)) == {("evaluation_outcomes_shares_0_1", forbund),
                                                    ("warehouse_outcomes_shares", forbund)}


# --- the build's own test results ---------------------------------------------------------------


def kept(paths: Paths, name: str) -> tuple[Path, dict]:
    """An artefact the latest build kept for the gate (its path and content)."""
    path = builds_path(paths) / str(query(paths, "SELECT max(build_id) FROM raw.builds")[0][0]) / name
    return path, json.loads(path.read_text(encoding="utf-8"))


def rewrite(path: Path, content: dict) -> None:
    path.write_text(json.dumps(content), encoding="utf-8")


def gate_ran(paths: Paths) -> set[str] | None:
    """The tests the gate's own `dbt test` ran; None: it ran none (the caller removed the file)."""
    path = dbt_target_path(paths) / "run_results.json"
    return {r["unique_id"] for r in json.loads(path.read_text(encoding="utf-8"))["results"]} if path.exists() else None


def staging_not_null(results: dict, manifest: dict) -> dict:
    """The build's result of one not_null test on a staging model (its check: warehouse_staging_not_null)."""
    tests = dbt_tests.data_tests(manifest)
    nodes = {**manifest["nodes"], **manifest.get("sources", {})}
    return next(r for r in results["results"] if r["unique_id"] in tests
                and dbt_tests.check_id_for(tests[r["unique_id"]], nodes) == "warehouse_staging_not_null")


def test_the_gate_judges_the_builds_own_test_results_without_running_dbt(built: Paths):
    """The build's results, not a second `dbt test`: a failure written into the kept run_results
    (2 rows of one not_null test; the data has none) is what the gate measures."""
    path, results = kept(built, "run_results.json")
    _, manifest = kept(built, "manifest.json")
    tests = dbt_tests.data_tests(manifest)
    # the build ran every data test to a verdict
    assert {r["unique_id"] for r in results["results"] if r["unique_id"] in tests} == set(tests)
    faked = staging_not_null(results, manifest)
    faked.update(status="fail", failures=2)
    rewrite(path, results)
    (dbt_target_path(built) / "run_results.json").unlink()

    measured = dbt_tests.measure(built, Scope(GATE_YEAR))
    assert gate_ran(built) is None  # no dbt test ran
    assert failing(measured) == {("warehouse_staging_not_null", None)}
    assert by_key(measured)[("warehouse_staging_not_null", None)].violated_rows == 2


def test_tests_a_selected_build_did_not_run_are_run_by_the_gate_and_none_is_skipped(built: Paths):
    """`utfall build --select stg_fk__utbetalningar` tests that model only: the gate runs exactly
    the other tests, and one test the build skipped; a test nothing can run is an error."""
    assert build(built, select="stg_fk__utbetalningar").success
    path, results = kept(built, "run_results.json")
    _, manifest = kept(built, "manifest.json")
    tests = dbt_tests.data_tests(manifest)
    by_build = {r["unique_id"] for r in results["results"] if r["unique_id"] in tests}
    attached = {uid for uid, t in tests.items() if t.get("attached_node") == "model.utfall.stg_fk__utbetalningar"}
    assert attached and attached <= by_build < set(tests)
    skipped = next(r for r in results["results"] if r["unique_id"] in attached)
    skipped["status"] = "skipped"
    rewrite(path, results)

    measured = dbt_tests.measure(built, Scope(GATE_YEAR))
    assert gate_ran(built) == set(tests) - by_build | {skipped["unique_id"]}
    assert failing(measured) == set()

    # a test in the build's manifest that the project no longer has: neither ran it
    manifest_path, manifest = kept(built, "manifest.json")
    ghost = dict(tests[skipped["unique_id"]], unique_id="test.utfall.not_in_the_project", name="not_in_the_project")
    manifest["nodes"][ghost["unique_id"]] = ghost
    rewrite(manifest_path, manifest)
    check = dbt_tests.check_id_for(ghost, manifest["nodes"])
    errors = {(m.check_id, m.forbund_id): m.error for m in dbt_tests.measure(built, Scope(GATE_YEAR)) if m.error}
    assert list(errors) == [(check, None)]
    assert "not_in_the_project" in errors[(check, None)] and dbt_tests.NOT_RUN in errors[(check, None)]


def test_a_warehouse_changed_after_its_build_gets_every_test_run_again(built: Paths):
    """The marts edited after the build: its results no longer describe the warehouse."""
    path, results = kept(built, "run_results.json")
    _, manifest = kept(built, "manifest.json")
    staging_not_null(results, manifest).update(status="fail", failures=2)
    rewrite(path, results)
    with duckdb.connect(str(built.warehouse)) as con:
        con.execute("UPDATE marts.mart_participants_year SET persons = persons + 1 "
                    f"WHERE year = {GATE_YEAR} AND forbund_id = 'sf01' AND dimension = 'total'")

    measured = dbt_tests.measure(built, Scope(GATE_YEAR))
    assert gate_ran(built) == set(dbt_tests.data_tests(manifest))
    assert ("warehouse_staging_not_null", None) not in failing(measured)  # the build's (faked) result is not used
