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
from tests.report_checks import assert_staff_outputs_disclose_nothing
from utfall.dq.gate import run_gate
from utfall.dq.model import Scope
from utfall.evaluation.render_pdf import overflows
from utfall.evaluation.tables import build_report
from utfall.loader import load


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
    done = utfall(paths, "evaluate", "--year", str(GATE_YEAR))
    assert done.returncode == 0, done.stderr

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
