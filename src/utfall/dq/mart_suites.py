"""Evaluation level of the quality gate: GX suites on the marts, for the year and förbund evaluated.

Each `mart_*` table has a suite, expectations/evaluation/<mart>.json. GX 1.24's SQL datasource
does not work on DuckDB, so there the scoped mart rows (small and person-free) are read into
pandas and validated there. On PostgreSQL the suites run in the database, through GX's SQL
datasource on the same scoped query, and failing rows come back by their key columns. What GX cannot say row by row (a sum over a group, a value from another
mart) is computed in SQL as a derived column — the suite's `meta.derived_columns`, SQL over
the mart as `m` — and compared by an ordinary expectation.

* **Checks**: each expectation names its catalogue check in `meta.dq_check`; several
  expectations may share one (e.g. the four shares of mart_outcomes_year). violated =
  distinct rows failing any of the check's expectations, denominator = rows in scope.
* **Scope**: the rows the evaluation of the year reads (`meta.year_column`, and
  `meta.cohort_years_back`: the exit cohorts that can be followed, e.g. outcomes at exit of
  the year, 6 and 12 months after for the year before, 24 months for two years before;
  mart_time_to_work's curve as known at the year's end) and, for per-förbund
  suites, one Measurement per förbund in
  scope (not_applicable when the förbund has no rows). mart_national_year is the national
  comparison every förbund's evaluation shows: all rows of the year, checked once
  (forbund_id None).
* **Data Docs**: the validation results are kept in a file-backed GX context under
  $UTFALL_HOME/dq/gx (every gate run, an audit trail) and rendered as a Data Docs site into
  $UTFALL_HOME/dq/data_docs/ (`data_docs_index`).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd

from utfall.db import connection
from utfall.db.config import Paths, expectations_dir
from utfall.dq.gate_model import Measurement, Scope
from utfall.dq.scope import forbund_in_scope
from utfall.dq.timing import timed

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")  # no telemetry: this machine has no network
logging.getLogger("great_expectations").setLevel(logging.WARNING)

# The catalogue level these checks belong to (seeds/dq_checks.csv `level`)
LEVEL = "evaluation"

SUITES_DIR = "evaluation"
SITE_NAME = "utfall"
DATASOURCE = "marts"  # pandas frames of the DuckDB warehouse
DATASOURCE_POSTGRES = "marts_postgresql"  # the PostgreSQL warehouse, validated in the database
WAREHOUSE_URL_VARIABLE = "UTFALL_GX_WAREHOUSE_URL"
EXAMPLES = 5


def suite_paths() -> list[Path]:
    return sorted((expectations_dir() / SUITES_DIR).glob("mart_*.json"))


def load_suite_dict(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def scope_years(meta: dict, year: int) -> list[int]:
    """The years of a mart's rows that the evaluation of `year` reads: the year itself and, for
    follow-ups, the earlier exit cohorts (`cohort_years_back`, default [0]). One definition for
    the gate and for the published evaluation tables."""
    return [year - back for back in meta.get("cohort_years_back", [0])]


def evaluation_tables() -> dict[str, dict]:
    """Every evaluation table (a mart with a suite) and its suite's meta."""
    return {p.stem: load_suite_dict(p)["meta"] for p in suite_paths()}


def check_ids(suite: dict) -> list[str]:
    """The catalogue checks of a suite, in order of first appearance."""
    return list(dict.fromkeys(e["meta"]["dq_check"] for e in suite["expectations"]))


def data_docs_dir(paths: Paths) -> Path:
    return paths.home / "dq" / "data_docs"


def data_docs_index(paths: Paths) -> Path | None:
    """The Data Docs site of the evaluation suites' results (index.html), once a gate has built it."""
    index = data_docs_dir(paths) / "index.html"
    return index if index.exists() else None


def scoped_query(suite: dict, scope: Scope) -> tuple[str, list]:
    """The SQL reading the suite's mart rows for the scope, with the derived columns."""
    meta = suite["meta"]
    derived = "".join(f",\n    {expr} AS {name}" for name, expr in meta["derived_columns"].items())
    where, params = [], []
    if meta["year_column"]:
        years = scope_years(meta, scope.year)
        where.append(f"m.{meta['year_column']} IN ({', '.join('?' for _ in years)})")
        params += years
    if meta["per_forbund"] and scope.forbund_id:
        where.append("m.forbund_id = ?")
        params.append(scope.forbund_id)
    sql = f"SELECT m.*{derived}\nFROM {meta['table']} AS m"
    if where:
        sql += "\nWHERE " + " AND ".join(where)
    order = ", ".join(f"m.{k}" for k in meta["key_columns"])
    return sql + f"\nORDER BY {order}", params


@dataclass
class _Validated:
    suite: dict
    query: str
    frame: pd.DataFrame
    failing: dict[str, dict[int, list[str]]]  # check → row index → columns of failed expectations
    error: str | None = None


def measure(paths: Paths, scope: Scope) -> list[Measurement]:
    """Validate every evaluation suite on its scoped mart rows, build Data Docs, one Measurement each."""
    suites = [load_suite_dict(p) for p in suite_paths()]
    frames: list[tuple[dict, str, pd.DataFrame | Exception]] = []
    con = connection.connect_warehouse(paths, read_only=True)
    try:
        forbund = forbund_in_scope(con, scope)
        for suite in suites:
            sql, params = scoped_query(suite, scope)
            try:
                frames.append((suite, _literal_sql(sql, params), con.execute(sql, params).df()))
            except Exception as e:  # a mart not built: the suite's checks are errors, the rest still run
                frames.append((suite, _literal_sql(sql, params), e))
    finally:
        con.close()  # GX work below needs no warehouse

    with timed() as t:
        validated = _validate_all(paths, scope, frames)
    measurements = []
    for v in validated:
        for check_id in check_ids(v.suite):
            measurements += _measurements(v, check_id, forbund, t.started_at, t.duration_s)
    return measurements


def _literal_sql(sql: str, params: list) -> str:
    """The query as stored in dq.results: parameters written in (years and förbund ids)."""
    for p in params:
        sql = sql.replace("?", repr(p) if isinstance(p, str) else str(p), 1)
    return sql


def _validate_all(paths: Paths, scope: Scope, frames) -> list[_Validated]:
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    context = _context(paths)
    in_database = bool(paths.warehouse_dsn)
    source = _postgres_source(context, paths.warehouse_dsn) if in_database \
        else context.data_sources.add_or_update_pandas(DATASOURCE)
    run_id = RunIdentifier(run_name=f"gate-{scope.year}-{scope.forbund_id or 'alla'}")
    out = []
    for suite_dict, query, frame in frames:
        if isinstance(frame, Exception):
            out.append(_Validated(suite_dict, query, pd.DataFrame(), {}, error=f"{type(frame).__name__}: {frame}"))
            continue
        mart = suite_dict["meta"]["table"].split(".")[-1]
        keys = suite_dict["meta"]["key_columns"]
        if in_database:
            # the suite runs in PostgreSQL on the scoped query; failing rows come back by their keys
            if any(a.name == mart for a in source.assets):
                source.delete_asset(mart)
            batch = source.add_query_asset(mart, query=query).add_batch_definition_whole_table("scope")
            result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": keys}
            row_of = {tuple(_key(v) for v in row): i for i, row in enumerate(frame[keys].itertuples(index=False))}
        else:
            asset = next((a for a in source.assets if a.name == mart), None) or source.add_dataframe_asset(mart)
            batch = next((b for b in asset.batch_definitions if b.name == "scope"), None) \
                or asset.add_batch_definition_whole_dataframe("scope")
            result_format = {"result_format": "COMPLETE"}
        suite = context.suites.add_or_update(gx.ExpectationSuite(**suite_dict))
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite_dict["name"], data=batch, suite=suite))
        failing: dict[str, dict[int, list[str]]] = {}
        if not frame.empty:
            result = definition.run(batch_parameters=None if in_database else {"dataframe": frame}, run_id=run_id,
                                    result_format=result_format)
            for r in result.results:
                if r.success:
                    continue
                kwargs = r.expectation_config.kwargs
                columns = [c for c in (kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B")) if c]
                rows = failing.setdefault(r.expectation_config.meta["dq_check"], {})
                indexes = (r.result or {}).get("unexpected_index_list")
                if indexes is None:  # a failed expectation that names no rows fails the whole batch
                    indexes = list(range(len(frame)))
                elif in_database:
                    indexes = [row_of[tuple(_key(found[k]) for k in keys)] for found in indexes]
                for i in indexes:
                    rows.setdefault(int(i), []).extend(columns)
        out.append(_Validated(suite_dict, query, frame, failing))
    os.environ.pop(WAREHOUSE_URL_VARIABLE, None)  # the URL holds the password: not kept beyond the validation
    context.build_data_docs(site_names=[SITE_NAME])
    return out


def _postgres_source(context, dsn: str):
    """GX's SQL datasource on the PostgreSQL warehouse. The URL reaches GX through a config
    variable, so the password never lands in the context's files."""
    os.environ[WAREHOUSE_URL_VARIABLE] = "postgresql+psycopg2://" + dsn.split("://", 1)[1]
    return context.data_sources.add_or_update_postgres(DATASOURCE_POSTGRES,
                                                       connection_string="${" + WAREHOUSE_URL_VARIABLE + "}")


def _key(value) -> str:
    """A key value as text, the same whether pandas or the database driver gave it."""
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return repr(float(value))
    return str(value)


def _context(paths: Paths):
    """The gate's file-backed GX context with its local Data Docs site."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=str(paths.home / "dq" / "gx"))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if SITE_NAME not in (context.config.data_docs_sites or {}):
        context.add_data_docs_site(SITE_NAME, {
            "class_name": "SiteBuilder",
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                              "base_directory": str(data_docs_dir(paths))},
        })
    return context


def _measurements(v: _Validated, check_id: str, forbund: list[str], started_at: str,
                  duration_s: float) -> list[Measurement]:
    meta = v.suite["meta"]
    if v.error:
        return [Measurement(check_id, fid, None, None, v.query, error=v.error, started_at=started_at,
                            duration_s=duration_s) for fid in (forbund if meta["per_forbund"] else [None])]
    failing = v.failing.get(check_id, {})
    if not meta["per_forbund"]:
        return [_measurement(v, check_id, None, list(range(len(v.frame))), failing, started_at, duration_s)]
    groups = v.frame.groupby("forbund_id").indices if len(v.frame) else {}
    return [_measurement(v, check_id, fid, [int(i) for i in groups.get(fid, [])], failing, started_at, duration_s)
            for fid in forbund]


def _measurement(v: _Validated, check_id: str, forbund_id: str | None, rows: list[int],
                 failing: dict[int, list[str]], started_at: str, duration_s: float) -> Measurement:
    mine = [i for i in rows if i in failing]
    keys = v.suite["meta"]["key_columns"]
    examples = []
    for i in mine[:EXAMPLES]:
        shown = keys + [c for c in dict.fromkeys(failing[i]) if c not in keys]
        examples.append(", ".join(f"{c}={_show(v.frame.at[i, c])}" for c in shown))
    return Measurement(check_id, forbund_id, len(mine), len(rows), v.query + f"\n-- GX suite {v.suite['name']}",
                       examples=examples, not_applicable=not rows, started_at=started_at, duration_s=duration_s)


def _show(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value.date()) if isinstance(value, pd.Timestamp) else str(value)
