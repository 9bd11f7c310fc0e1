"""Issue 15, item 6: the gate judges what will be published.

A gate run records the warehouse it judged (loads, build, marts); `require_passed` refuses
after a build, a hand edit of the marts or of the ledger, and when dq.results do not bear out
dq.runs. `utfall evaluate` writes nothing unless every förbund renders, and an unknown
förbund is a usage error. All on the clean generated gate data (2 förbund, 2022–2024).
"""

from __future__ import annotations

import json
import subprocess
from datetime import date

import duckdb
import pytest

from tests.conftest import GATE_YEAR, VENV_BIN, cli_env, deliver, query
from utfall.dq.gate import GateNotPassed, GateUsageError, require_passed, run_gate
from utfall.dq.gate_model import Scope
from utfall.dq.waivers import WaiverRefused, record_waiver
from utfall.evaluation.evaluate import EvaluationUsageError, evaluate, publish_evaluation_tables
from utfall.ingest.loader import load

TODAY = date(2025, 3, 1)
# 23 characters: every sheet name of its tables is cut to the same 31 (Excel's limit), so its
# report cannot be rendered (issue 15: it got past load, build and gate, and evaluate crashed
# half-way, the published tables already carrying the new gate run).
LONG_INSATS = "sf02-se1-" + "x" * 14


def utfall(paths, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "utfall"), *args], env=cli_env(paths), capture_output=True, text=True,
                          timeout=900)


def execute(paths, sql: str, params: list | None = None) -> None:
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute(sql, params or [])


def stale_reason(paths, forbund_id: str | None = None) -> str:
    with pytest.raises(GateNotPassed) as refused:
        require_passed(paths, GATE_YEAR, forbund_id)
    return " ".join(str(refused.value).split())


def published_tables(paths) -> int:
    return query(paths, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'published'")[0][0]


def test_a_build_after_the_gate_makes_it_stale_and_evaluate_writes_nothing(clean_home):
    paths = clean_home
    run = run_gate(paths, Scope(GATE_YEAR))
    assert run.passed and require_passed(paths, GATE_YEAR) == run.run_id
    [(build_id,)] = query(paths, "SELECT build_id FROM dq.runs")
    assert build_id == query(paths, "SELECT max(build_id) FROM raw.builds")[0][0] == 1  # the fixture's one build

    rebuilt = utfall(paths, "build", "--select", "mart_time_to_work")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "lagret har byggts om sedan dess (bygge 2, grinden bedömde bygge 1)" in stale_reason(paths)
    assert f"kör `utfall gate --year {GATE_YEAR} --forbund sf01` igen" in stale_reason(paths, "sf01")
    refused = utfall(paths, "evaluate", "--year", str(GATE_YEAR))
    assert refused.returncode == 1 and "inaktuell" in refused.stderr
    assert not (paths.home / "outbox").exists() and published_tables(paths) == 0

    # Gated again, on what the build made: fine. A publisher still holding the first run's id
    # (its reports rendered before the new run) is refused inside the publishing transaction.
    again = run_gate(paths, Scope(GATE_YEAR))
    assert require_passed(paths, GATE_YEAR) == again.run_id
    with pytest.raises(GateNotPassed, match="kördes igen medan rapporterna skapades"):
        publish_evaluation_tables(paths, GATE_YEAR, ["sf01", "sf02"], run.run_id)
    assert published_tables(paths) == 0


def test_hand_edits_of_the_marts_or_the_ledger_after_the_gate_make_it_stale(clean_home):
    paths = clean_home
    run = run_gate(paths, Scope(GATE_YEAR))
    assert require_passed(paths, GATE_YEAR) == run.run_id

    execute(paths, "UPDATE marts.mart_participants_year SET persons = persons + 1 "
                   "WHERE forbund_id = 'sf01' AND year = ?", [GATE_YEAR])
    assert "tabellerna i marts har ändrats sedan dess, utan `utfall build`" in stale_reason(paths)
    # the publisher asks again in its own transaction: an edit after rendering publishes nothing
    with pytest.raises(GateNotPassed, match="tabellerna i marts har ändrats"):
        publish_evaluation_tables(paths, GATE_YEAR, ["sf01", "sf02"], run.run_id)
    assert published_tables(paths) == 0
    execute(paths, "UPDATE marts.mart_participants_year SET persons = persons - 1 "
                   "WHERE forbund_id = 'sf01' AND year = ?", [GATE_YEAR])
    assert require_passed(paths, GATE_YEAR) == run.run_id  # the same rows again: what was judged

    execute(paths, "UPDATE raw.loads SET status = 'quarantined' WHERE load_id = 1")
    assert "inläsningsloggen raw.loads har ändrats sedan dess" in stale_reason(paths)


def test_a_load_after_the_gate_is_named_with_what_to_run(clean_home):
    paths = clean_home
    run_gate(paths, Scope(GATE_YEAR))
    archived = next((paths.archive / "skv_lon").glob("*__skv_lon_202203.csv"))
    (paths.inbox / "skv_lon").mkdir(exist_ok=True)
    (paths.inbox / "skv_lon" / "skv_lon_202203.csv").write_text(
        archived.read_text(encoding="utf-8").replace(";PRIVAT;", ";KOMMUN;", 1), encoding="utf-8")
    assert not load(paths, today=TODAY).quarantined
    assert "1 filer har lästs in sedan dess (kör `utfall build`)" in stale_reason(paths)


def test_a_gate_between_a_load_and_its_build_refuses_and_names_what_to_run(clean_home):
    """The gate judges the marts; a file loaded after the latest build is not in them yet, so a
    verdict now would let evaluation publish marts older than the ledger its manifest names."""
    paths = clean_home
    archived = next((paths.archive / "skv_lon").glob("*__skv_lon_202203.csv"))
    (paths.inbox / "skv_lon").mkdir(exist_ok=True)
    (paths.inbox / "skv_lon" / "skv_lon_202203.csv").write_text(
        archived.read_text(encoding="utf-8").replace(";PRIVAT;", ";KOMMUN;", 1), encoding="utf-8")
    assert not load(paths, today=TODAY).quarantined
    runs = "SELECT count(*) FROM information_schema.tables t WHERE table_schema = 'dq' AND table_name = 'runs'"
    with pytest.raises(GateUsageError, match=r"1 filer har lästs in efter senaste bygget: kör `utfall build`"):
        run_gate(paths, Scope(GATE_YEAR))
    assert query(paths, runs)[0][0] == 0  # refused before anything was measured or recorded


def test_a_hand_edited_verdict_is_not_trusted(clean_home):
    paths = clean_home
    # A share above 1 in one mart row: the evaluation level's check fails, blocking.
    key = query(paths, f"SELECT forbund_id, insats_id FROM marts.mart_outcomes_year WHERE exit_year = {GATE_YEAR} "
                       "AND followable_12m > 0 ORDER BY 1, 2 LIMIT 1")[0]
    execute(paths, "UPDATE marts.mart_outcomes_year SET share_self_supporting_12m = 1.5 "
                   "WHERE forbund_id = ? AND insats_id = ? AND exit_year = ?", [*key, GATE_YEAR])
    run = run_gate(paths, Scope(GATE_YEAR))
    assert not run.passed

    execute(paths, "UPDATE dq.runs SET passed = true, blocking_failures = 0")
    assert (f"dq.runs säger godkänd men dq.results har {len(run.blocking)} blockerande fel utan undantag "
            f"(dq.runs: 0)") in stale_reason(paths)
    refused = utfall(paths, "evaluate", "--year", str(GATE_YEAR))
    assert refused.returncode == 1 and "dq.results" in refused.stderr
    assert not (paths.home / "outbox").exists() and published_tables(paths) == 0

    # A waiver id nobody recorded does not let a failure through …
    execute(paths, "UPDATE dq.results SET waiver_id = 999 WHERE status IN ('fail', 'error')")
    assert "resultat med ett undantag som inte finns för den kontrollen och det året" in stale_reason(paths)
    # … and neither do failing results deleted.
    execute(paths, "DELETE FROM dq.results WHERE status IN ('fail', 'error')")
    assert "dq.results har ändrats efter körningen (rader ändrade eller borttagna)" in stale_reason(paths)


def test_an_unknown_forbund_is_a_usage_error_and_writes_nothing(clean_home):
    paths = clean_home
    assert run_gate(paths, Scope(GATE_YEAR)).passed
    unknown = utfall(paths, "evaluate", "--year", str(GATE_YEAR), "--forbund", "sf09")
    assert unknown.returncode == 2, unknown.stdout + unknown.stderr
    assert "unknown förbund 'sf09'" in unknown.stderr and "förbund with data: sf01, sf02" in unknown.stderr
    assert not (paths.home / "outbox").exists() and published_tables(paths) == 0


def test_a_forbund_whose_only_register_was_refused_has_no_data_for_the_gate_waivers_or_the_evaluation(clean_home):
    """One definition of "a förbund with data" (dq.scope.forbund_with_data): the gate and waivers
    used to accept a förbund the ledger had seen any register file of, the evaluation only one
    with a loaded register, so sf09 could be gated but never evaluated."""
    paths = clean_home
    deliver(paths, "deltagare", "deltagare_sf09_20241231.csv", "a;b\n1;2\n")  # not the register's columns
    assert [o.status for o in load(paths, today=date(2025, 3, 1)).outcomes] == ["quarantined"]
    assert query(paths, "SELECT status FROM raw.loads WHERE forbund_id = 'sf09'") == [("quarantined",)]
    with pytest.raises(GateUsageError, match="okänt förbund 'sf09'; förbund med inlästa registerleveranser: sf01, sf02"):
        run_gate(paths, Scope(GATE_YEAR, "sf09"))
    with pytest.raises(WaiverRefused, match="okänt förbund 'sf09'; förbund med inlästa registerleveranser: sf01, sf02"):
        record_waiver(paths, "completeness_register_insats_ar", GATE_YEAR, "sf09", "skäl", "test")
    with pytest.raises(EvaluationUsageError, match="förbund with data: sf01, sf02"):
        evaluate(paths, GATE_YEAR, "sf09")
    assert not (paths.home / "outbox").exists()
    assert query(paths, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'dq'") == [(0,)]


def register_with_long_insats(paths, feed: str) -> None:
    """sf02's register again, newer extract date, its SE insats renamed to LONG_INSATS."""
    [archived] = (paths.archive / feed).glob(f"*__{feed}_sf02_20241231.csv")
    text = archived.read_text(encoding="utf-8")
    assert "sf02-se1;" in text
    (paths.inbox / feed).mkdir(exist_ok=True)
    (paths.inbox / feed / f"{feed}_sf02_20250115.csv").write_text(text.replace("sf02-se1;", f"{LONG_INSATS};"),
                                                                  encoding="utf-8")


def test_an_evaluation_that_cannot_render_every_forbund_publishes_nothing(clean_home):
    paths = clean_home
    first = run_gate(paths, Scope(GATE_YEAR))
    done = utfall(paths, "evaluate", "--year", str(GATE_YEAR), "--forbund", "sf01")
    assert done.returncode == 0, done.stderr
    manifest = paths.home / "outbox" / "sf01" / str(GATE_YEAR) / "manifest.json"
    delivered = manifest.read_bytes()
    assert json.loads(delivered)["gate_run_id"] == first.run_id
    published = query(paths, "SELECT forbund_id, gate_run_id, count(*) FROM published.mart_outcomes_year "
                             "GROUP BY ALL ORDER BY 1")
    assert published == [("sf01", first.run_id, published[0][2])]

    # sf02's registers with a 23-character insats id: loads, builds and passes the gate …
    for feed in ("deltagare", "insatser", "insats_ar"):  # programtrohet: IPS only
        register_with_long_insats(paths, feed)
    assert not load(paths, today=TODAY).quarantined
    built = utfall(paths, "build")
    assert built.returncode == 0, built.stdout + built.stderr
    second = run_gate(paths, Scope(GATE_YEAR))
    assert second.passed, [r.check_id for r in second.blocking]

    # … but its report cannot be rendered: nothing is published, no folder changes.
    failed = utfall(paths, "evaluate", "--year", str(GATE_YEAR), "--workers", "1")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    message = " ".join(failed.stderr.split())
    assert "the evaluation of sf02 could not be rendered" in message and "nothing was published" in message
    assert query(paths, "SELECT forbund_id, gate_run_id, count(*) FROM published.mart_outcomes_year "
                        "GROUP BY ALL ORDER BY 1") == published
    assert manifest.read_bytes() == delivered
    assert not (paths.home / "outbox" / "sf02").exists()
    assert sorted(p.name for p in paths.home.iterdir() if p.name.startswith(".evaluation")) == []
