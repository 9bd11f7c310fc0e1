"""`utfall evaluate`: nothing leaves without a passed gate; then every förbund gets its files.

One scenario on the clean generated gate data (2 förbund, 2022–2024): never gated, and gated
with a deliberately broken mart (the gate fails), evaluate writes nothing and says why; mended,
the gate passes and each förbund gets HTML, PDF, Excel and a manifest whose checksums match.
Every staff output is scanned for small counts and person_ids.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import date

import duckdb

from tests.conftest import GATE_YEAR, VENV_BIN, cli_env, query
from tests.support.report_checks import assert_staff_outputs_disclose_nothing
from tests.support.report_language import language_problems
from tests.support.scenarios import load_build_gate, tables
from utfall.ingest.contracts import FEEDS
from utfall.dq.gate import run_gate
from utfall.dq.gate_model import Scope
from utfall.db import stage_timings
from utfall.evaluation.evaluate import RENDER_STAGES, evaluate, outbox_folder, timings_path
from utfall.evaluation.provenance import MonthLoad, since_previous
from utfall.evaluation.render_pdf import overflows
from utfall.evaluation.tables import build_report
from utfall.evaluation.tables_method import corrections_text
from utfall.ingest.loader import load


def utfall(paths, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "utfall"), *args], env=cli_env(paths), capture_output=True, text=True)


def test_gate_failure_writes_nothing_then_a_passed_gate_delivers_every_forbund(clean_home):
    paths = clean_home

    # Never gated: refused, nothing written
    refused = utfall(paths, "evaluate", "--year", str(GATE_YEAR))
    assert refused.returncode == 1
    assert "kvalitetsgrinden har inte körts" in refused.stderr.replace("\n", " ")
    # Gated but failing (a deliberately broken mart: a share above 1): refused, nothing written
    key = query(paths, f"SELECT forbund_id, insats_id, share_self_supporting_12m FROM marts.mart_outcomes_year "
                       f"WHERE exit_year = {GATE_YEAR} AND followable_12m > 0 ORDER BY 1, 2 LIMIT 1")[0]
    set_share = ("UPDATE marts.mart_outcomes_year SET share_self_supporting_12m = ? "
                 "WHERE forbund_id = ? AND insats_id = ? AND exit_year = ?")
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute(set_share, [1.5, key[0], key[1], GATE_YEAR])
    assert not run_gate(paths, Scope(GATE_YEAR)).passed
    refused = utfall(paths, "evaluate", "--year", str(GATE_YEAR))
    assert refused.returncode == 1
    assert "inte godkänd" in refused.stderr.replace("\n", " ")
    assert not (paths.home / "outbox").exists()
    assert query(paths, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'published'") == [(0,)]

    # Mended: the gate passes and every förbund gets its evaluation
    with duckdb.connect(str(paths.warehouse)) as con:
        con.execute(set_share, [key[2], key[0], key[1], GATE_YEAR])
    run = run_gate(paths, Scope(GATE_YEAR))
    assert run.passed, [r.check_id for r in run.blocking]
    # A förbund's comment holding a personnummer: refused before anything is rendered, file and line named
    comments = paths.home / "comments"
    (comments / "sf02").mkdir(parents=True)
    (comments / "sf02" / f"{GATE_YEAR}.md").write_text("# Året\n\nFrågor till 19121212-1212.\n", encoding="utf-8")
    refused = utfall(paths, "evaluate", "--year", str(GATE_YEAR))
    assert refused.returncode == 1
    assert f"comments/sf02/{GATE_YEAR}.md, line 3: a personnummer" in " ".join(refused.stderr.split())
    assert "19121212" not in refused.stderr and not (paths.home / "outbox").exists()
    # sf01 has written comments, sf02 none: the evaluation lists which
    (comments / "sf02" / f"{GATE_YEAR}.md").unlink()
    (comments / "sf01").mkdir()
    (comments / "sf01" / f"{GATE_YEAR}.md").write_text(
        "# Förbundets syn\n\nÅret gav *fler arbeten* än väntat.\n\n- Ny coach\n- <b>Fler</b> arbetsgivare\n",
        encoding="utf-8")
    done = utfall(paths, "evaluate", "--year", str(GATE_YEAR))
    assert done.returncode == 0, done.stderr
    listed = done.stdout.split(f"Comments from the förbund for {GATE_YEAR}", 1)[1].splitlines()[1:]
    assert listed == [f"  sf01: {comments / 'sf01' / f'{GATE_YEAR}.md'}", "  none from: sf02"]
    # where each report's time went: one line per förbund rendered (the refused runs rendered nothing)
    timings = stage_timings.read(timings_path(paths))
    assert sorted(t["forbund_id"] for t in timings) == ["sf01", "sf02"]
    for t in timings:
        assert set(t["seconds"]) == {*RENDER_STAGES, "total"} and min(t["seconds"].values()) >= 0
        assert abs(sum(v for k, v in t["seconds"].items() if k != "total") - t["seconds"]["total"]) < 0.01
    for forbund, has_comments in (("sf01", True), ("sf02", False)):
        html = (paths.home / "outbox" / forbund / str(GATE_YEAR) / "utvardering.html").read_text(encoding="utf-8")
        assert ("<h2 id=\"avsnitt-forbundets-kommentarer-rubrik\">Förbundets kommentarer</h2>" in html) == has_comments
    assert "<li>&lt;b&gt;Fler&lt;/b&gt; arbetsgivare</li>" in (
        paths.home / "outbox" / "sf01" / str(GATE_YEAR) / "utvardering.html").read_text(encoding="utf-8")

    for forbund in ("sf01", "sf02"):
        folder = paths.home / "outbox" / forbund / str(GATE_YEAR)
        assert sorted(p.name for p in folder.iterdir()) == [
            "manifest.json", "tabeller.xlsx", "utvardering.html", "utvardering.pdf"]
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["gate_run_id"] == run.run_id
        assert manifest["forbund_id"] == forbund and manifest["year"] == GATE_YEAR
        for name, entry in manifest["files"].items():
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == entry["sha256"]
        # the generated data run 2022-01 … 2024-12; the 2023 evaluation uses them to its cut-off
        assert manifest["data_months"]["fk_utbetalningar"] == {
            "first_month": "2022-01", "last_month": "2023-12", "months": 24}
        assert manifest["parameters"]["suppression_threshold"] == "5"
        assert (folder / "utvardering.pdf").read_bytes().startswith(b"%PDF")

        # Every output as staff read it, scanned: no person_id, no count 1–4, no hidden cell solvable
        report = build_report(paths, forbund, GATE_YEAR, run.run_id)
        assert_staff_outputs_disclose_nothing(folder, report)
        # named from seeds/forbund.csv (marts.dim_forbund), not by id
        assert report.forbund_name == {"sf01": "Samordningsförbundet Stockholm–Södertälje",
                                       "sf02": "Samordningsförbundet Göteborg"}[forbund]
        html = (folder / "utvardering.html").read_text(encoding="utf-8")
        assert f"<h1>Utvärdering {GATE_YEAR} – {report.forbund_name}</h1>" in html
        # every table and figure of the real report fits the PDF's page (measured from its layout)
        assert overflows(html) == []
        # no internal identifier, run id or known wrong phrasing where the board reads
        assert language_problems(html) == []

    # The evaluation tables are published with the gate run that let them through
    assert query(paths, "SELECT DISTINCT gate_run_id, evaluation_year FROM published.mart_outcomes_year") == [
        (run.run_id, GATE_YEAR)]
    # the rows of the year's cohorts: the exits of the year and of the two years before
    assert query(paths, "SELECT count(*) FROM published.mart_outcomes_year") == query(
        paths, f"SELECT count(*) FROM marts.mart_outcomes_year WHERE exit_year BETWEEN {GATE_YEAR - 2} AND {GATE_YEAR}")
    assert query(paths, "SELECT DISTINCT forbund_id FROM published.mart_national_year ORDER BY 1") == [
        ("riket",), ("sf01",), ("sf02",)]

    # A later load makes the gate stale: evaluate refuses again, the delivered files stay
    before = (paths.home / "outbox" / "sf01" / str(GATE_YEAR) / "manifest.json").read_bytes()
    archived = next((paths.archive / "skv_lon").glob("*__skv_lon_202203.csv"))
    (paths.inbox / "skv_lon").mkdir(exist_ok=True)
    (paths.inbox / "skv_lon" / "skv_lon_202203.csv").write_text(
        archived.read_text(encoding="utf-8").replace(";PRIVAT;", ";KOMMUN;", 1), encoding="utf-8")
    assert not load(paths, today=date(2025, 3, 1)).quarantined
    stale = utfall(paths, "evaluate", "--year", str(GATE_YEAR), "--forbund", "sf01")
    assert stale.returncode == 1 and "inaktuell" in stale.stderr.replace("\n", " ")
    assert (paths.home / "outbox" / "sf01" / str(GATE_YEAR) / "manifest.json").read_bytes() == before


def correct(paths, name: str) -> int:
    """Deliver a corrected copy of an archived skv_lon month (one employer sector changed) and
    load it; the correction's load id."""
    archived = next((paths.archive / "skv_lon").glob(f"*__{name}"))
    (paths.inbox / "skv_lon").mkdir(exist_ok=True)
    (paths.inbox / "skv_lon" / name).write_text(
        archived.read_text(encoding="utf-8").replace(";PRIVAT;", ";KOMMUN;", 1), encoding="utf-8")
    return current_load(paths, "skv_lon", name[len("skv_lon_"):-len(".csv")])


def current_load(paths, feed: str, period: str) -> int:
    """The ledger's current load of a month, after loading what the inbox holds."""
    report = load(paths, today=date(2025, 3, 1))
    assert not report.quarantined and not report.unhandled
    [(load_id,)] = query(paths, "SELECT load_id FROM raw.loads WHERE feed = ? AND period = ? AND status = 'loaded'",
                         [feed, period])
    return load_id


def evaluate_sf01(paths, built: bool = False) -> tuple[dict, str]:
    """(Build,) gate and evaluate 2023 for sf01: (its manifest, its report's text)."""
    if built:
        assert run_gate(paths, Scope(GATE_YEAR)).passed
    else:
        load_build_gate(paths, GATE_YEAR)
    evaluate(paths, GATE_YEAR, "sf01", workers=1)
    folder = outbox_folder(paths, "sf01", GATE_YEAR)
    return (json.loads((folder / "manifest.json").read_text(encoding="utf-8")),
            " ".join((folder / "utvardering.html").read_text(encoding="utf-8").split()))


def test_the_manifest_names_each_months_load_and_the_load_that_corrected_a_month_since_the_last_evaluation(
        clean_home):
    paths = clean_home
    first, _ = evaluate_sf01(paths, built=True)
    # every month of every monthly feed up to the cut-off (the data begin 2022-01), none after it
    assert {feed: sorted(months) for feed, months in first["loads"].items()} == {
        feed: [f"{y}-{m:02d}" for y in (2022, 2023) for m in range(1, 13)]
        for feed, contract in FEEDS.items() if contract.kind == "monthly"}
    # the held-back fk month was the last file the clean base loaded
    [(last_load,)] = query(paths, "SELECT max(load_id) FROM raw.loads")
    held_back = first["loads"]["fk_utbetalningar"]["2023-06"]
    assert (held_back["load_id"], held_back["file_name"]) == (last_load, "fk_utbetalningar_202306.csv")
    assert first["since_previous_evaluation"] is None  # the first evaluation of 2023
    march_2022 = first["loads"]["skv_lon"]["2022-03"]["load_id"]
    first_tables = tables(paths, "sf01", GATE_YEAR)

    # A month after the cut-off corrected: nothing the 2023 evaluation reads changed
    correct(paths, "skv_lon_202403.csv")
    second, text = evaluate_sf01(paths)
    assert second["loads"] == first["loads"]
    assert second["since_previous_evaluation"] == {
        "previous_gate_run_id": first["gate_run_id"], "previous_generated_at": first["generated_at"],
        "changed_months": []}
    assert ("Inga månader till och med december 2023 har rättats eller tillkommit sedan förra utvärderingen "
            f"av 2023 (körning {first['gate_run_id']})") in text
    assert tables(paths, "sf01", GATE_YEAR) == first_tables  # the same figures

    # March 2022 corrected: the manifest and the method section name that load, and only it
    correction = correct(paths, "skv_lon_202203.csv")
    assert query(paths, "SELECT superseded_by FROM raw.loads WHERE load_id = ?", [march_2022]) == [(correction,)]
    third, text = evaluate_sf01(paths)
    [changed] = third["since_previous_evaluation"]["changed_months"]
    assert {k: v for k, v in changed.items() if k != "loaded_at"} == {
        "feed": "skv_lon", "month": "2022-03", "load_id": correction, "file_name": "skv_lon_202203.csv",
        "previous_load_id": march_2022}
    assert third["since_previous_evaluation"]["previous_gate_run_id"] == second["gate_run_id"]
    assert third["loads"]["skv_lon"]["2022-03"] == {k: changed[k] for k in ("load_id", "file_name", "loaded_at")}
    assert (f"Månaden mar 2022 i Lön (Skatteverket) rättades i leverans skv_lon_202203.csv (laddning {correction}, "
            f"{changed['loaded_at'][:10]}) efter förra utvärderingen av 2023 (körning {second['gate_run_id']}).") in text
    assert {k: v for k, v in third["loads"].items() if k != "skv_lon"} == {
        k: v for k, v in first["loads"].items() if k != "skv_lon"}


def test_a_month_first_delivered_since_the_previous_evaluation_is_named_and_an_older_manifest_names_nothing():
    november = MonthLoad("csn_studiestod", "2023-11", 40, "csn_studiestod_202311.csv", "2024-12-02 08:00:00")
    december = MonthLoad("csn_studiestod", "2023-12", 57, "csn_studiestod_202312.csv", "2025-02-10 09:30:00")
    previous = {"gate_run_id": "R1", "generated_at": "2025-01-15T10:00:00+00:00",
                "loads": {"csn_studiestod": {"2023-11": november.as_manifest()}}}
    since = since_previous(previous, [november, december])
    assert since.as_manifest() == {
        "previous_gate_run_id": "R1", "previous_generated_at": "2025-01-15T10:00:00+00:00",
        "changed_months": [{"feed": "csn_studiestod", "month": "2023-12", "load_id": 57,
                            "file_name": "csn_studiestod_202312.csv", "loaded_at": "2025-02-10 09:30:00",
                            "previous_load_id": None}]}
    assert corrections_text(since, 2023) == [
        "Månaden dec 2023 i Studiemedel (CSN) levererades i leverans csn_studiestod_202312.csv (laddning 57, "
        "2025-02-10) efter förra utvärderingen av 2023 (körning R1)."]
    # a manifest made before loads were recorded: nothing can be said, and nothing is
    assert since_previous({"gate_run_id": "R0", "data_months": {}}, [november, december]) is None
    assert corrections_text(None, 2023) == []
