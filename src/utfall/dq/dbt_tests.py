"""Warehouse level of the quality gate: every dbt data test, judged on the built warehouse.

Every key, not_null, accepted_values, relationships and reconciliation test of the dbt project
(unit tests excluded: they test the SQL, not the data) is judged, whatever severity it has
during `dbt build` (dbt_project.yml says which only warn there: the catalogue's threshold and
severity decide here). The results come from the build itself (`test_results`): `utfall build`
keeps its manifest and run_results with the warehouse state it left (utfall.warehouse.
build_state); while the warehouse is still in that state, its test results are the gate's,
and only the tests the build did not run to a verdict (a `--select` build, a test skipped
after a failed model) run now, in one in-process `dbt test`. Without usable build results
(built outside `utfall build`, or the ledger or the marts changed since) every test runs.
The results become one Measurement per catalogue check:

* **Which check a test belongs to** (`check_id_for`): its `meta: {dq_check: …}` when set,
  otherwise `warehouse_<layer>_<kind>` — layer = the tested model's schema (reference,
  staging, intermediate, core, marts), kind = the generic test (`KINDS`). tests/
  test_dq_warehouse.py proves from the manifest that every test maps to a catalogue entry
  and every warehouse entry has a test.
* **violated** = dbt's `failures` (offending rows, or the test's `fail_calc`), summed over
  the check's tests; **denominator** = rows of the tested model (singular tests: of the
  catalogue entry's table), summed likewise: the share of row checks that failed.
* **Per förbund**: when every test of a check returns a `forbund_id` column, the check is
  measured per förbund in scope on its failing rows (rows of no registered förbund — none,
  'riket', an unknown id, a panel person in no register — count for every förbund);
  otherwise once, forbund_id None.
* **Examples**: the first failing rows of each failed test, re-read with the test's compiled
  SQL, without any person_id column; nothing is stored in the warehouse (no store_failures).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from utfall.db import connection
from utfall.warehouse.build_state import read_artifacts, read_state
from utfall.warehouse.dbt_build import dbt_target_path, run_dbt
from utfall.db.config import Paths
from utfall.dq.catalogue import load_catalogue
from utfall.dq.gate_model import Measurement, Scope
from utfall.dq.scope import forbund_in_scope, forbund_with_data
from utfall.dq.timing import timed

log = logging.getLogger("utfall.dq.dbt_tests")

# The catalogue level these checks belong to (seeds/dq_checks.csv `level`)
LEVEL = "warehouse"
# dbt's generic tests → the kind in a check id. A test of another kind without meta.dq_check
# gets an id no catalogue entry has: the mapping test (and the runner) then fail loudly.
KINDS = {
    "not_null": "not_null",
    "unique": "unique",
    "unique_combination": "unique",
    "accepted_values": "accepted_values",
    "relationships": "relationships",
    "known_in": "relationships",
}
EXAMPLES_PER_TEST = 5
EXAMPLES_PER_CHECK = 20  # a layer check spans many tests: the report needs a sample, not all
DBT_TEST_ARGS = ("test", "--exclude-resource-type", "unit_test")
# dbt statuses of a test that ran to a verdict; anything else (skipped) the gate runs itself
JUDGED = ("pass", "warn", "fail", "error")
NOT_RUN = "testet kördes varken i bygget eller av grinden (ran neither in the build nor in the gate)"


def check_id_for(test: dict, nodes: dict) -> str:
    """The catalogue check of one dbt test node of the manifest (see the module doc)."""
    meta = test.get("config", {}).get("meta") or {}
    if meta.get("dq_check"):
        return str(meta["dq_check"])
    kind_name = (test.get("test_metadata") or {}).get("name") or "singular"
    attached = nodes.get(test.get("attached_node") or "", {})
    layer = attached.get("schema") or "unknown"
    return f"{LEVEL}_{layer}_{KINDS.get(kind_name, kind_name)}"


def data_tests(manifest: dict) -> dict[str, dict]:
    """unique_id → node of every data test (unit tests are another resource type)."""
    return {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "test"}


def read_artifact(paths: Paths, name: str) -> dict:
    """manifest.json or run_results.json of the latest dbt command under $UTFALL_HOME/dbt/target."""
    with open(dbt_target_path(paths) / name, encoding="utf-8") as fh:
        return json.load(fh)


@dataclass
class _TestRun:
    name: str
    status: str  # pass, warn, fail, error, skipped
    failures: int
    message: str | None
    sql: str
    relation: str | None  # the table counted for the denominator
    fail_calc: str
    seconds: float
    columns: list[str] = field(default_factory=list)  # output columns of the test query


def measure(paths: Paths, scope: Scope) -> list[Measurement]:
    """The results of every dbt data test on the built warehouse (the build's own, and those it did
    not run, run now); one Measurement per warehouse check (and förbund)."""
    catalogue = {cid: e for cid, e in load_catalogue().items() if e.level == LEVEL}
    with timed() as t:
        manifest, results, failure = test_results(paths)
    if manifest is None:
        return [Measurement(cid, None, None, None, " ".join(DBT_TEST_ARGS), error=failure,
                            started_at=t.started_at, duration_s=t.duration_s) for cid in catalogue]

    nodes = {**manifest["nodes"], **manifest.get("sources", {})}
    by_check: dict[str, list[_TestRun]] = defaultdict(list)
    for uid, test in data_tests(manifest).items():
        # a test neither the build nor the gate ran is an error of its check, never a pass
        r = results.get(uid) or {"status": "error", "message": f"{NOT_RUN}: {failure}" if failure else NOT_RUN}
        check_id = check_id_for(test, nodes)
        entry = catalogue.get(check_id)
        attached = nodes.get(test.get("attached_node") or "")
        relation = attached.get("relation_name") if attached else (entry.table_name if entry else None)
        by_check[check_id].append(_TestRun(
            name=test["name"], status=str(r["status"]), failures=int(r.get("failures") or 0),
            message=r.get("message"), sql=r.get("compiled_code") or test.get("compiled_code") or "",
            relation=relation, fail_calc=test["config"].get("fail_calc") or "count(*)",
            seconds=float(r.get("execution_time") or 0.0)))

    con = connection.connect_warehouse(paths, read_only=True)
    try:
        forbund = forbund_in_scope(con, scope)
        registered = set(forbund_with_data(con))
        counter = _RowCounter(con)
        measurements: list[Measurement] = []
        for check_id in sorted(set(catalogue) | set(by_check)):
            runs = by_check.get(check_id, [])
            measurements += _measure_check(con, counter, check_id, runs, forbund, registered, t.started_at)
        return measurements
    finally:
        con.close()


def test_results(paths: Paths) -> tuple[dict | None, dict[str, dict], str | None]:
    """(manifest, unique_id → run result of each data test, why results are missing).

    The latest build's own results when the warehouse is still as that build left it (same
    build, ledger and marts: utfall.warehouse.build_state); the tests it did not run (a `--select`
    build, a test skipped after a failed model) and, without usable build results, every test,
    run now with `dbt test`. manifest None: nothing could be run."""
    con = connection.connect_warehouse(paths, read_only=True)
    try:
        now = read_state(con)
    finally:
        con.close()  # no connection of ours is open while dbt runs
    built = read_artifacts(paths, now.build_id)
    if built is None or built.state != now:
        if built is not None:
            log.info("the warehouse changed after build %s: every dbt test runs again", built.build_id)
        return run_tests(paths, None)
    tests = data_tests(built.manifest)
    results = {r["unique_id"]: r for r in built.run_results.get("results", [])
               if r["unique_id"] in tests and str(r["status"]) in JUDGED}
    missing = sorted(tests[uid]["name"] for uid in tests if uid not in results)
    log.info("warehouse level: %d dbt test results of build %s, %d tests to run", len(results),
             built.build_id, len(missing))
    if not missing:
        return built.manifest, results, None
    _, ran, failure = run_tests(paths, missing)
    return built.manifest, {**ran, **results}, failure


def run_tests(paths: Paths, names: list[str] | None) -> tuple[dict | None, dict[str, dict], str | None]:
    """`dbt test` of the named data tests (None: every one); (manifest, results, failure)."""
    # a run_results.json left by an earlier command must never pass for this run's
    (dbt_target_path(paths) / "run_results.json").unlink(missing_ok=True)
    result = run_dbt(paths, *DBT_TEST_ARGS, *(["--select", *names] if names else []))
    try:
        manifest, run_results = read_artifact(paths, "manifest.json"), read_artifact(paths, "run_results.json")
    except FileNotFoundError:
        manifest, run_results = None, {}
    if manifest is None or not run_results.get("results"):
        return None, {}, "; ".join(result.failures) or "dbt test gav inga resultat (no results)"
    return manifest, {r["unique_id"]: r for r in run_results["results"]}, None


def _measure_check(con, counter: "_RowCounter", check_id: str, runs: list[_TestRun],
                   forbund: list[str], registered: set[str], started_at: str) -> list[Measurement]:
    if not runs:
        return [Measurement(check_id, None, None, None, "", started_at=started_at,
                            error="inget dbt-test hör till kontrollen (no dbt test maps to this check)")]
    query = runs[0].sql if len(runs) == 1 else "dbt test: " + ", ".join(r.name for r in runs)
    seconds = round(sum(r.seconds for r in runs), 4)
    errors = [f"{r.name}: {r.message}" for r in runs if r.status in ("error", "skipped")]
    if errors:
        return [Measurement(check_id, None, None, None, query, error="; ".join(errors),
                            started_at=started_at, duration_s=seconds)]
    for r in runs:
        r.columns = _columns(con, r.sql)
    per_forbund = all("forbund_id" in r.columns for r in runs)
    if not per_forbund:
        violated = sum(r.failures for r in runs)
        denominator = _sum_or_none(counter.rows(r.relation) for r in runs)
        examples = [e for r in runs if r.failures for e in _examples(con, r)]
        return [Measurement(check_id, None, violated, denominator, query, examples=examples[:EXAMPLES_PER_CHECK],
                            started_at=started_at, duration_s=seconds)]
    failing = {r.name: _failures_by_forbund(con, r) for r in runs if r.failures}
    out = []
    for fid in forbund:
        violated = 0
        examples: list[str] = []
        for r in runs:
            if not r.failures:
                continue
            counts = failing[r.name]
            # rows of no registered förbund (none, 'riket', an unknown id) concern every förbund
            mine = counts.get(fid, 0) + sum(n for k, n in counts.items() if k not in registered)
            violated += mine
            if mine:
                examples += _examples(con, r, fid, registered)
        denominator = _sum_or_none(counter.rows(r.relation, fid) for r in runs)
        out.append(Measurement(check_id, fid, violated, denominator, query, examples=examples[:EXAMPLES_PER_CHECK],
                               started_at=started_at, duration_s=seconds))
    return out


def _sum_or_none(values) -> int | None:
    values = list(values)
    return None if any(v is None for v in values) else sum(values)


def _columns(con, sql: str) -> list[str]:
    """The columns a query returns (DuckDB and PostgreSQL alike: from an empty result)."""
    # newlines around the test's SQL: it may end in a -- comment
    return [c[0] for c in con.execute(f"SELECT * FROM (\n{sql}\n) AS q LIMIT 0").description] if sql else []


def _failures_by_forbund(con, run: _TestRun) -> dict[str | None, int]:
    """Failures of one test per förbund, by the test's own fail_calc; other rows under None."""
    rows = con.execute(
        f"SELECT forbund_id, {run.fail_calc} FROM (\n{run.sql}\n) AS failing GROUP BY forbund_id"
    ).fetchall()
    counts: dict[str | None, int] = defaultdict(int)
    for fid, n in rows:
        counts[fid] += int(n or 0)
    return counts


def _examples(con, run: _TestRun, forbund_id: str | None = None,
              registered: set[str] = frozenset()) -> list[str]:
    """`test: col=value, …` for the first failing rows; person_id columns are left out."""
    shown = [c for c in run.columns if "person_id" not in c.lower()]
    if not shown:
        return [f"{run.name}: {run.failures} rader (inga visningsbara kolumner)"]
    select = ", ".join(f'"{c}"' for c in shown)
    where, params = "", []
    if forbund_id:
        # this förbund's rows, and rows of no registered förbund (none, 'riket', an unknown id)
        others = (f"forbund_id NOT IN ({', '.join('?' for _ in registered)})" if registered else "true")
        where = f"WHERE forbund_id = ? OR forbund_id IS NULL OR {others}"
        params = [forbund_id, *sorted(registered)]
    rows = con.execute(f"SELECT {select} FROM (\n{run.sql}\n) AS failing {where} LIMIT {EXAMPLES_PER_TEST}",
                       params).fetchall()
    return [f"{run.name}: " + ", ".join(f"{c}={v}" for c, v in zip(shown, row)) for row in rows]


class _RowCounter:
    """Rows of a relation (per förbund when it has a forbund_id column), each counted once."""

    def __init__(self, con):
        self.con = con
        self.cache: dict[str, tuple[int, dict[str, int] | None]] = {}

    def rows(self, relation: str | None, forbund_id: str | None = None) -> int | None:
        if not relation or relation.endswith("*"):
            return None
        if relation not in self.cache:
            try:
                total = self.con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
                columns = _columns(self.con, f"SELECT * FROM {relation}")
                per = None
                if "forbund_id" in columns:
                    per = dict(self.con.execute(
                        f"SELECT forbund_id, count(*) FROM {relation} GROUP BY forbund_id").fetchall())
                self.cache[relation] = (total, per)
            except Exception as e:  # a relation that is not there: no denominator, not no check
                log.warning("cannot count %s: %s", relation, e)
                self.cache[relation] = (None, None)
        total, per = self.cache[relation]
        if forbund_id is None or per is None:
            return total
        return per.get(forbund_id, 0)
