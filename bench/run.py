"""`make bench SCALE=small|national`: the whole pipeline at a chosen scale, timed the same way
every time, into bench/results/<date>-<scale>.json and .md.

Every stage runs as its own process tree (the `utfall` command an operator would run) and is
measured as wall time and peak memory: the largest sum of RSS over the tree, sampled every
20 ms. A stage that takes under a minute is repeated (median of three, each on a fresh copy
where it writes). Targets (issue 6) are judged at national scale only.

`breakdown` (JSON key and .md section) says where a stage's time goes, one entry per stage
that has one, gathered from the stage's own run: for the load, the seconds per stage of each
file that the loader itself logs (utfall.ingest.load_timings) in the median run; for the
evaluation, the seconds per stage of each förbund's report (utfall.evaluation.evaluate).
`--warehouse postgresql` runs the same stages on a PostgreSQL server of the bench's own
(bench/postgres.py) and measures the server's memory beside the client's; its results go to
<date>-<scale>-postgresql.* with a side-by-side table when DuckDB's of that scale and date exist.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable

import duckdb
import psutil

from bench import dbt_breakdown
from utfall.dq.scope import MONTHLY_FEEDS
from utfall.db import stage_timings
from utfall.db.config import Paths
from utfall.evaluation.evaluate import RENDER_STAGES, timings_path
from utfall.ingest import load_timings

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
UTFALL = str(BIN / "utfall")
PYTHON = sys.executable


@dataclass(frozen=True)
class Scale:
    name: str
    forbund: int
    participants: int
    from_year: int
    to_year: int

    @property
    def evaluation_year(self) -> int:
        # the last complete year has no 12-month follow-up yet; the year before has
        return self.to_year - 1


SCALES = {
    "small": Scale("small", forbund=4, participants=4_000, from_year=2021, to_year=2024),
    "national": Scale("national", forbund=80, participants=300_000, from_year=2015, to_year=2025),
}

# Issue 6's targets on a 2-core, 24 GiB machine at national scale.
TARGETS = {
    "pipeline_seconds": 600,  # load + full build + gate + evaluate
    "report_pages_two_insatser": (12, 16),  # issue 16: the evaluation of a förbund with two insatser
    "peak_rss_gib": 8,
    "load_to_floor_ratio": 3,
    "incremental_seconds": 60,  # load + build of one new month of every feed
    "query_seconds": 1,
}
# Issue 18 item 5: the shared PostgreSQL target, beside DuckDB at the same scale
POSTGRES_TARGETS = {"pipeline_to_duckdb_ratio": 3, "server_rss_gib": 8}
PIPELINE_STAGES = ("utfall load (everything)", "utfall build (full)", "utfall gate", "utfall evaluate")
REPEAT_UNDER_SECONDS = 60
REPEATS = 3


@dataclass
class Stage:
    name: str
    command: str
    wall_seconds: float
    peak_rss_mib: float
    runs: list[float] = field(default_factory=list)
    note: str = ""
    server_peak_rss_mib: float | None = None  # PostgreSQL's process tree; None on DuckDB


# Set by --warehouse postgresql (bench/postgres.py's BenchPostgres): the stages then run on it.
POSTGRES = None


# --- measuring ---------------------------------------------------------------------------

class StageFailed(RuntimeError):
    pass


def measure(args: list[str], env: dict[str, str], log: Path) -> tuple[float, float, float | None]:
    """Run `args`; (wall seconds, peak RSS of the whole process tree in MiB, and of the
    PostgreSQL server's tree when there is one). StageFailed on a non-zero exit (a killed
    process included)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        started = time.perf_counter()
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
        root = psutil.Process(process.pid)
        peak = server_peak = 0
        while process.poll() is None:
            if POSTGRES:
                server_peak = max(server_peak, POSTGRES.memory.rss_bytes())
            try:
                tree = [root, *root.children(recursive=True)]
                rss = 0
                for p in tree:
                    try:
                        rss += p.memory_info().rss
                    except (psutil.NoSuchProcess, psutil.AccessDenied):
                        pass
                peak = max(peak, rss)
            except psutil.NoSuchProcess:
                pass
            time.sleep(0.02)
        wall = time.perf_counter() - started
    if process.returncode != 0:
        raise StageFailed(f"{' '.join(args)} failed with exit code {process.returncode} after {wall:.0f} s "
                          f"at {peak / 2**20:,.0f} MiB; see {log}")
    return wall, peak / 2**20, server_peak / 2**20 if POSTGRES else None


def stage(name: str, args: list[str], env: dict[str, str], log: Path,
          prepare: Callable[[], None] | None = None, repeat: bool = True,
          after: Callable[[float], None] | None = None) -> Stage:
    """Measure a stage; under a minute, repeat it (after `prepare`) and keep the median.
    `after` gets each run's wall time, before the next run's `prepare` clears what it left."""
    if prepare:
        prepare()
    wall, peak, server = measure(args, env, log)
    if after:
        after(wall)
    runs, peaks, servers = [wall], [peak], [server]
    while repeat and wall < REPEAT_UNDER_SECONDS and len(runs) < REPEATS:
        if prepare:
            prepare()
        w, p, s = measure(args, env, log)
        if after:
            after(w)
        runs.append(w)
        peaks.append(p)
        servers.append(s)
    result = Stage(name, " ".join(Path(a).name if a.startswith("/") else a for a in args),
                   statistics.median(runs), max(peaks), [round(r, 2) for r in runs],
                   server_peak_rss_mib=None if server is None else round(max(servers), 1))
    on_server = "" if server is None else f"  server {result.server_peak_rss_mib:8.0f} MiB"
    print(f"  {name:42} {result.wall_seconds:8.1f} s  {result.peak_rss_mib:8.0f} MiB{on_server}  runs {result.runs}",
          flush=True)
    return result


# --- the pipeline ------------------------------------------------------------------------

def hold_back_last_month(deliveries: Path, held: Path) -> list[Path]:
    """Move the last month of every monthly feed aside: the incremental stage delivers it."""
    moved = []
    for feed in MONTHLY_FEEDS:
        files = sorted((deliveries / feed).glob(f"{feed}_*.csv"))
        if files:
            (held / feed).mkdir(parents=True, exist_ok=True)
            target = held / feed / files[-1].name
            files[-1].rename(target)
            moved.append(target)
    return moved


def fresh_home(home: Path, deliveries: Path) -> None:
    """An empty $UTFALL_HOME whose inbox holds a copy of the deliveries."""
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(deliveries, home / "inbox")
    if POSTGRES:
        POSTGRES.fresh(home.name)


def snapshot(source: Path, target: Path) -> None:
    """A copy of a home to restart a stage from; the archived deliveries are left out (no
    stage reads them back, and at national scale they are gigabytes)."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=lambda folder, names: ["archive"] if Path(folder) == source else [])
    if POSTGRES:  # the warehouse is on the server: its database is copied beside the folder
        POSTGRES.copy(source.name, target.name)


def run(scale: Scale, work: Path, results: Path) -> dict:
    """The whole benchmark; if a stage fails, what was measured so far is still written."""
    partial: dict = {"stages": []}
    try:
        return _run(scale, work, results, partial)
    except StageFailed as e:
        print(f"STAGE FAILED: {e}", flush=True)
        partial["failed"] = str(e)
        write_results(_result(scale, partial), results)
        raise SystemExit(1)


def _run(scale: Scale, work: Path, results: Path, partial: dict) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    log = work / "bench.log"
    deliveries, held, home = work / "deliveries", work / "next_month", work / "home"
    env = {**os.environ, "UTFALL_HOME": str(home), "COLUMNS": "120"}
    if POSTGRES:  # every stage as the deployment's pipeline login (src/utfall/db/target.py)
        env["UTFALL_WAREHOUSE_URL"] = POSTGRES.pipeline_dsn(home.name)
    stages: list[Stage] = partial["stages"]
    print(f"Benchmark {scale.name} on {warehouse_name()}: {scale.forbund} förbund, {scale.participants:,} "
          f"participants, {scale.from_year}–{scale.to_year}; work folder {work}", flush=True)

    shutil.rmtree(deliveries, ignore_errors=True)
    shutil.rmtree(held, ignore_errors=True)
    stages.append(stage("generate deliveries", [
        UTFALL, "generate", "--out", str(deliveries), "--forbund", str(scale.forbund),
        "--participants", str(scale.participants), "--from-year", str(scale.from_year),
        "--to-year", str(scale.to_year), "--seed", "7"], env, log, repeat=False))
    files = sorted(deliveries.rglob("*.csv"))
    partial.update(files=len(files), raw_bytes=sum(p.stat().st_size for p in files), home=home)
    hold_back_last_month(deliveries, held)

    floor = stage("read_csv floor (DuckDB reads every file once)",
                  [PYTHON, "-m", "bench.read_floor", str(deliveries), str(work / "floor.duckdb")], env, log)
    stages.append(floor)
    load_runs: list[dict] = []
    load = stage("utfall load (everything)", [UTFALL, "load"], env, log,
                 prepare=lambda: fresh_home(home, deliveries),
                 after=lambda wall: load_runs.append(load_breakdown(home, wall)))
    load.note = f"{load.wall_seconds / floor.wall_seconds:.1f}× the read_csv floor"
    stages.append(load)
    # the run whose wall time is the median: its files' stages explain the figure reported
    partial.setdefault("breakdown", {})["load"] = min(
        load_runs, key=lambda b: abs(b["wall_seconds"] - load.wall_seconds)) | {"floor_seconds": floor.wall_seconds}
    loaded = work / "loaded"
    snapshot(home, loaded)
    build = stage("utfall build (full)", [UTFALL, "build"], env, log, prepare=lambda: snapshot(loaded, home))
    stages.append(build)
    dbt_nodes = partial.setdefault("breakdown", {}).setdefault("build", {})
    dbt_nodes[build.name] = dbt_breakdown.breakdown(home / "dbt" / "target" / "run_results.json")
    built = work / "built"
    snapshot(home, built)

    # one new month of every feed: load + incremental build (once: it changes the warehouse)
    def deliver_next_month() -> None:
        snapshot(built, home)
        for path in held.rglob("*.csv"):
            target = home / "inbox" / path.parent.name / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)

    month_load = stage("incremental: utfall load (one new month)", [UTFALL, "load"], env, log,
                       prepare=deliver_next_month, repeat=False)
    month_build = stage("incremental: utfall build", [UTFALL, "build"], env, log, repeat=False)
    stages += [month_load, month_build]
    dbt_nodes[month_build.name] = dbt_breakdown.breakdown(home / "dbt" / "target" / "run_results.json")

    year = str(scale.evaluation_year)
    gated = work / "gated"
    gate = stage(f"utfall gate --year {year} (all förbund)", [UTFALL, "gate", "--year", year], env, log)
    stages.append(gate)
    snapshot(home, gated)
    evaluate_runs: list[dict] = []
    evaluate = stage(f"utfall evaluate --year {year} ({scale.forbund} förbund)",
                     [UTFALL, "evaluate", "--year", year], env, log, prepare=lambda: snapshot(gated, home),
                     after=lambda wall: evaluate_runs.append(evaluate_breakdown(home, wall)))
    stages.append(evaluate)
    partial["breakdown"]["evaluate"] = min(evaluate_runs, key=lambda b: abs(b["wall_seconds"] - evaluate.wall_seconds))

    with warehouse_connection(home, analyst=True) as con:
        queries = analyst_query_latency(con, scale.evaluation_year)
    pages = report_pages(home, scale.evaluation_year)
    # the peer reads the same data the warehouse now holds: the held month goes back in place
    for path in held.rglob("*.csv"):
        shutil.copy(path, deliveries / path.parent.name / path.name)
    partial["queries"] = queries
    try:
        peer = stage("pandas peer: mart_outcomes_year 12 months", [
            PYTHON, "-m", "bench.peer_run", str(deliveries), str(work / "peer.csv")], env, log)
        peer.note = peer_agrees(work / "peer.csv", home)
    except StageFailed as e:  # the peer running out of memory is a result, not a reason to stop
        peer = Stage("pandas peer: mart_outcomes_year 12 months", "python -m bench.peer_run", float("nan"),
                     float("nan"), note=f"did not finish: {e}")
    stages.append(peer)
    partial["summary"] = {
        "pipeline_seconds": round(load.wall_seconds + build.wall_seconds + gate.wall_seconds
                                  + evaluate.wall_seconds, 1),
        "peak_rss_mib": round(max(s.peak_rss_mib for s in stages if not s.name.startswith("pandas")), 0),
        "load_to_floor_ratio": round(load.wall_seconds / floor.wall_seconds, 2),
        "incremental_seconds": round(month_load.wall_seconds + month_build.wall_seconds, 1),
        "slowest_query_seconds": max(q["median_seconds"] for q in queries),
        "peer_to_warehouse_ratio": round(peer.wall_seconds / build.wall_seconds, 2),
        # the PDF a förbund with n insatser gets (issue 16: 12–16 pages with two): the most pages per n
        "report_pages_by_insatser": pages,
        "dominant_stage": dominant_stage(stages),
    }
    if POSTGRES:
        summary = partial["summary"]
        summary["server_peak_rss_mib"] = round(max(s.server_peak_rss_mib or 0 for s in stages), 0)
    result = _result(scale, partial)
    write_results(result, results)
    return result


def _result(scale: Scale, partial: dict) -> dict:
    home = partial.get("home")
    result = {
        "date": date.today().isoformat(),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "scale": asdict(scale) | {
            "evaluation_year": scale.evaluation_year, "files": partial.get("files"),
            "raw_bytes": partial.get("raw_bytes"),
            "rows": rows_in_warehouse(home) if home and (POSTGRES or (home / "warehouse.duckdb").exists())
            else {}},
        "warehouse": warehouse_name(),
        "machine": machine(),
        "versions": versions(),
        "stages": [asdict(s) for s in partial["stages"]],
        "queries": partial.get("queries", []),
        "summary": partial.get("summary", {}),
        "breakdown": partial.get("breakdown", {}),
    }
    if "failed" in partial:
        result["failed"] = partial["failed"]
    complete = "summary" in partial
    result["targets"] = (judge(result["summary"]) if scale.name == "national" and complete
                         else "judged at national scale only" if complete else "not judged: the run failed")
    return result


# --- where the time goes ----------------------------------------------------------------

def load_breakdown(home: Path, wall_seconds: float) -> dict:
    """The loader's own timings of one `utfall load` (utfall.ingest.load_timings): per stage
    over all files, and what the process spent outside any file (start-up, imports, listing)."""
    records = load_timings.read(home)
    out = load_timings.breakdown(records)
    in_files = sum(r["seconds"].get("total", 0.0) for r in records)
    out["wall_seconds"] = round(wall_seconds, 3)
    out["outside_files_seconds"] = round(wall_seconds - in_files, 3)
    by_feed: dict[str, list[float]] = {}
    for r in records:
        by_feed.setdefault(r["feed"] or "(none)", []).append(r["seconds"].get("total", 0.0))
    out["per_feed"] = {feed: {"files": len(t), "total_seconds": round(sum(t), 3),
                              "median_ms": round(statistics.median(t) * 1000, 2)} for feed, t in sorted(by_feed.items())}
    return out


def load_breakdown_markdown(b: dict) -> list[str]:
    floor = b.get("floor_seconds")
    lines = [f"Load, per stage of each file as the loader times it ({b['files']} files, the run of "
             f"{b['wall_seconds']:.1f} s; {b['outside_files_seconds']:.1f} s of it outside any file: start-up, "
             "imports, listing the inbox):", "",
             "| stage | total | share of the files' time | median per file | max per file |",
             "|---|---:|---:|---:|---:|"]
    for stage, t in b["stages"].items():
        lines.append(f"| {stage} | {t['total_seconds']:.2f} s | {t['share']:.0%} | {t['median_ms']:.1f} ms | "
                     f"{t['max_ms']:.1f} ms |")
    if floor:
        lines += ["", f"The read_csv floor for the same files: {floor:.1f} s "
                      f"({floor / b['files'] * 1000:.1f} ms per file on average)."]
    lines += ["", "| feed | files | total | median per file |", "|---|---:|---:|---:|"]
    lines += [f"| {feed} | {t['files']} | {t['total_seconds']:.2f} s | {t['median_ms']:.1f} ms |"
              for feed, t in b["per_feed"].items()]
    return lines


def evaluate_breakdown(home: Path, wall_seconds: float) -> dict:
    """The evaluation's own timings of one `utfall evaluate` (utfall.evaluation.evaluate logs one
    line per report): per stage over the reports. The reports render in parallel processes, so
    their seconds add up to more than the run's wall time."""
    out = stage_timings.breakdown(stage_timings.read(timings_path(Paths(home))), RENDER_STAGES, unit="reports")
    return out | {"wall_seconds": round(wall_seconds, 3)}


def evaluate_breakdown_markdown(b: dict) -> list[str]:
    lines = [f"Evaluate, per stage of each förbund's report as the renderer times it ({b['reports']} reports, "
             f"rendered in parallel processes; the run of {b['wall_seconds']:.1f} s):", "",
             "| stage | total | share of the reports' time | median per report | max per report |",
             "|---|---:|---:|---:|---:|"]
    lines += [f"| {stage} | {t['total_seconds']:.2f} s | {t['share']:.0%} | {t['median_ms'] / 1000:.2f} s | "
              f"{t['max_ms'] / 1000:.2f} s |" for stage, t in b["stages"].items()]
    return lines


# Each breakdown's section in the .md; one without a renderer here is shown as its JSON.
BREAKDOWN_MARKDOWN: dict[str, Callable[[dict], list[str]]] = {
    "load": load_breakdown_markdown, "evaluate": evaluate_breakdown_markdown,
    # per dbt node, of the full and of the incremental build (bench.dbt_breakdown)
    "build": lambda b: [line for stage, nodes in b.items() for line in dbt_breakdown.markdown(stage, nodes)]}


def breakdown_markdown(breakdown: dict) -> list[str]:
    lines: list[str] = []
    for name, section in breakdown.items():
        lines += ["", f"## Breakdown: {name}", ""]
        render = BREAKDOWN_MARKDOWN.get(name)
        lines += render(section) if render else ["```json", json.dumps(section, indent=2, ensure_ascii=False), "```"]
    return lines


# --- the analysts' headline queries -------------------------------------------------------

def headline_queries(year: int) -> list[tuple[str, str]]:
    """bench/headline_queries.sql: (name, SQL) with {year} filled in."""
    text = (REPO / "bench" / "headline_queries.sql").read_text(encoding="utf-8")
    out = []
    for block in text.split("-- name: ")[1:]:
        name, sql = block.split("\n", 1)
        out.append((name.strip(), sql.strip().rstrip(";").replace("{year}", str(year))))
    return out


def warehouse_name() -> str:
    return "postgresql" if POSTGRES else "duckdb"


def warehouse_connection(home: Path, analyst: bool = False):
    """Read-only: the warehouse (engineers' tier) or what analysts read — published/analyst.duckdb
    on DuckDB, the marts as a utfall_analyst login on PostgreSQL. Either answers
    `execute(sql).fetchall()` and closes as a context manager."""
    if POSTGRES:
        from bench.postgres import connect

        return connect(POSTGRES.analyst_dsn(home.name) if analyst else POSTGRES.admin_dsn(home.name))
    db = home / "published" / "analyst.duckdb" if analyst else home / "warehouse.duckdb"
    return duckdb.connect(str(db), read_only=True)


def analyst_query_latency(con, year: int, repeats: int = 5) -> list[dict]:
    out = []
    for name, sql in headline_queries(year):
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            rows = con.execute(sql).fetchall()
            times.append(time.perf_counter() - started)
        out.append({"query": name, "median_seconds": round(statistics.median(times), 4), "rows": len(rows)})
        print(f"  query {name:38} {statistics.median(times) * 1000:8.1f} ms  ({len(rows)} rows)", flush=True)
    return out


def peer_agrees(peer_csv: Path, home: Path) -> str:
    """Whether the pandas peer's figures equal mart_outcomes_year's (a fair comparison only if so)."""
    import pandas as pd

    peer = pd.read_csv(peer_csv, dtype={"forbund_id": str, "insats_id": str})
    columns = ["forbund_id", "insats_id", "exit_year", "ended", "followable_12m", "self_supporting_12m"]
    with warehouse_connection(home) as con:
        mart = pd.DataFrame(con.execute(f"SELECT {', '.join(columns)} FROM marts.mart_outcomes_year "
                                        "ORDER BY 1, 2, 3").fetchall(), columns=columns)
    same = peer[columns].astype(str).equals(mart[columns].astype(str))
    return "same figures as the mart" if same else "**differs from the mart** (see peer.csv)"


# --- context -----------------------------------------------------------------------------

def report_pages(home: Path, year: int) -> dict[str, int]:
    """Insatser with participants in the year → the most pages of such a förbund's utvardering.pdf
    (pdfinfo), read from the outbox `utfall evaluate` wrote."""
    with warehouse_connection(home, analyst=True) as con:
        insatser = dict(con.execute(  # the year is an int: written into the SQL, as both engines read it
            "SELECT forbund_id, count(DISTINCT insats_id) FROM marts.mart_participants_year "
            f"WHERE year = {int(year)} AND dimension = 'total' AND persons > 0 GROUP BY 1").fetchall())
    most: dict[str, int] = {}
    for pdf in sorted((home / "outbox").glob(f"*/{year}/utvardering.pdf")):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
        n = str(insatser.get(pdf.parent.parent.name, 0))
        most[n] = max(most.get(n, 0), pages)
    return dict(sorted(most.items()))


def rows_in_warehouse(home: Path) -> dict[str, int]:
    with warehouse_connection(home) as con:
        raw = con.execute("SELECT sum(rows_loaded) FROM raw.loads WHERE status = 'loaded'").fetchone()[0]
        built = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'intermediate' "
                            "AND table_name = 'int_person_months'").fetchone()[0]
        # not built: a failed run
        panel = con.execute("SELECT count(*) FROM intermediate.int_person_months").fetchone()[0] if built else 0
    return {"raw_rows_loaded": int(raw or 0), "person_months": int(panel)}


def dominant_stage(stages: list[Stage]) -> str:
    """The pipeline stage (load, full build, gate, evaluate) that takes the most time, with its share."""
    timed = [s for s in stages if s.name.startswith(PIPELINE_STAGES)]
    if not timed:
        return ""
    top = max(timed, key=lambda s: s.wall_seconds)
    return f"{top.name}: {top.wall_seconds / sum(s.wall_seconds for s in timed):.0%} of the pipeline"


def machine() -> dict:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cores": os.cpu_count(), "ram_gib": round(psutil.virtual_memory().total / 2**30, 1), "cpu": cpu,
            "os": platform.platform()}


def versions() -> dict:
    packages = ("duckdb", "dbt-core", "dbt-duckdb", "apache-airflow", "great-expectations", "pandas", "weasyprint")
    out = {"python": platform.python_version()}
    out.update({p: metadata.version(p) for p in packages})
    try:
        out["utfall_commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
                                              capture_output=True, check=True).stdout.strip()
        if subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO, text=True,
                          capture_output=True, check=True).stdout.strip():
            out["utfall_commit"] += "-dirty"
    except (OSError, subprocess.CalledProcessError):
        out["utfall_commit"] = "unknown"
    return out


def judge(summary: dict) -> dict:
    judged = {
        "pipeline ≤ 10 min": summary["pipeline_seconds"] <= TARGETS["pipeline_seconds"],
        "peak memory ≤ 8 GiB": summary["peak_rss_mib"] <= TARGETS["peak_rss_gib"] * 1024,
        "load ≤ 3× read_csv floor": summary["load_to_floor_ratio"] <= TARGETS["load_to_floor_ratio"],
        "incremental month ≤ 60 s": summary["incremental_seconds"] <= TARGETS["incremental_seconds"],
        "each headline query ≤ 1 s": summary["slowest_query_seconds"] <= TARGETS["query_seconds"],
    }
    # a page count, not a time: judged only when the run had a förbund with two insatser
    two = (summary.get("report_pages_by_insatser") or {}).get("2")
    if two is not None:
        low, high = TARGETS["report_pages_two_insatser"]
        judged[f"PDF with two insatser {low}–{high} pages"] = low <= two <= high
    return judged


def markdown(result: dict, beside: dict | None = None) -> str:
    """The results as Markdown; `beside`: DuckDB's results of the same scale and date, for a
    PostgreSQL run's side-by-side table."""
    s, m, v = result["scale"], result["machine"], result["versions"]
    on_postgres = result.get("warehouse") == "postgresql"
    rows = s.get("rows") or {}
    lines = [
        f"# Benchmark {s['name']}{' on PostgreSQL' if on_postgres else ''} — {result['date']}",
        "",
        f"{s['forbund']} förbund, {s['participants']:,} participants, {s['from_year']}–{s['to_year']} "
        f"({s['files']} files, {(s['raw_bytes'] or 0) / 2**20:,.0f} MiB, {rows.get('raw_rows_loaded', 0):,} rows "
        f"loaded, {rows.get('person_months', 0):,} person-months). Evaluation year {s['evaluation_year']}.",
        f"Machine: {m['cores']} cores, {m['ram_gib']} GiB RAM, {m['cpu']}. utfall {v['utfall_commit']}, "
        f"Python {v['python']}, DuckDB {v['duckdb']}, dbt-core {v['dbt-core']}, Airflow {v['apache-airflow']}.",
    ]
    if on_postgres:
        lines += ["", POSTGRES_NOTE]
    server_column = " server peak (postgres processes) |" if on_postgres else ""
    lines += ["", f"| stage | wall time | peak memory (process tree) |{server_column} runs | note |",
              f"|---|---:|---:|{'---:|' if on_postgres else ''}---|---|"]
    for st in result["stages"]:
        server = f" {st.get('server_peak_rss_mib') or 0:,.0f} MiB |" if on_postgres else ""
        lines.append(f"| {st['name']} | {st['wall_seconds']:.1f} s | {st['peak_rss_mib']:,.0f} MiB |{server} "
                     f"{', '.join(f'{r:.1f}' for r in st['runs'])} | {st['note']} |")
    lines += ["", "| headline query | median latency | rows |", "|---|---:|---:|"]
    lines += [f"| {q['query']} | {q['median_seconds'] * 1000:.1f} ms | {q['rows']} |" for q in result["queries"]]
    if result.get("failed"):
        lines += ["", f"**The run stopped**: {result['failed']}"]
    lines += ["", "Summary: " + ", ".join(f"{k} {v}" for k, v in result["summary"].items())]
    if isinstance(result["targets"], dict):
        lines += ["", "| target | met |", "|---|---|"]
        lines += [f"| {k} | {'yes' if ok else '**no**'} |" for k, ok in result["targets"].items()]
    lines += breakdown_markdown(result.get("breakdown") or {})
    if on_postgres and beside:
        lines += ["", *side_by_side(beside, result)]
    return "\n".join(lines) + "\n"


POSTGRES_NOTE = (
    "Warehouse: PostgreSQL, a server of the bench's own (tests/support/postgres_server.py: loopback, "
    "fsync and synchronous_commit off, default shared_buffers), set up by `utfall db init-roles`; every "
    "stage runs as the pipeline's login, the headline queries and report pages read the marts as an "
    "analyst login, a copy to restart from is `CREATE DATABASE … TEMPLATE …`. Server memory: the "
    "peak sum of RSS over the postmaster and its children (shared buffers counted in each process "
    "that touched them: an upper bound).")


def side_by_side(duck: dict, pg: dict) -> list[str]:
    """DuckDB and PostgreSQL per stage of the same scale and date, with the ratio and the
    pipeline's target (issue 18: PostgreSQL within 3× DuckDB, the server within 8 GiB)."""
    on_duck = {st["name"]: st for st in duck["stages"]}
    lines = [f"## Beside DuckDB ({duck['date']}, {duck['finished_at']}, utfall {duck['versions']['utfall_commit']})",
             "", "| stage | DuckDB | PostgreSQL | PostgreSQL ÷ DuckDB | server peak |", "|---|---:|---:|---:|---:|"]
    for st in pg["stages"]:
        d = on_duck.get(st["name"])
        ratio = f"{st['wall_seconds'] / d['wall_seconds']:.1f}×" if d and d["wall_seconds"] else "–"
        on_d = f"{d['wall_seconds']:.1f} s" if d else "–"
        lines.append(f"| {st['name']} | {on_d} | {st['wall_seconds']:.1f} s | {ratio} | "
                     f"{st.get('server_peak_rss_mib') or 0:,.0f} MiB |")
    d_sum, p_sum = duck.get("summary", {}), pg.get("summary", {})
    if d_sum.get("pipeline_seconds") and p_sum.get("pipeline_seconds"):
        ratio = p_sum["pipeline_seconds"] / d_sum["pipeline_seconds"]
        judged = "judged at national scale only" if pg["scale"]["name"] != "national" else (
            "met" if ratio <= POSTGRES_TARGETS["pipeline_to_duckdb_ratio"] else "**missed**")
        lines += ["", f"Pipeline (load + full build + gate + evaluate): DuckDB {d_sum['pipeline_seconds']:.1f} s, "
                      f"PostgreSQL {p_sum['pipeline_seconds']:.1f} s, {ratio:.1f}× (target ≤ "
                      f"{POSTGRES_TARGETS['pipeline_to_duckdb_ratio']}×: {judged}); server peak "
                      f"{p_sum.get('server_peak_rss_mib', 0):,.0f} MiB (target ≤ {POSTGRES_TARGETS['server_rss_gib']} GiB). "
                      f"Dominant stage: DuckDB {d_sum.get('dominant_stage') or '–'}; PostgreSQL "
                      f"{p_sum.get('dominant_stage') or '–'}."]
    return lines


def results_stem(result: dict) -> str:
    suffix = "-postgresql" if result.get("warehouse") == "postgresql" else ""
    return f"{result['date']}-{result['scale']['name']}{suffix}"


def write_results(result: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    stem = results_stem(result)
    beside = None
    duck_json = folder / f"{result['date']}-{result['scale']['name']}.json"
    if result.get("warehouse") == "postgresql" and duck_json.exists():
        beside = json.loads(duck_json.read_text(encoding="utf-8"))
    (folder / f"{stem}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / f"{stem}.md").write_text(markdown(result, beside), encoding="utf-8")
    print(f"Results: {folder / stem}.json and .md", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--work", type=Path, help="work folder (default $UTFALL_HOME/bench/<scale>)")
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "results")
    # `make bench WAREHOUSE=postgres` passes the Makefile's spelling
    parser.add_argument("--warehouse", choices=("duckdb", "postgresql", "postgres"), default="duckdb")
    args = parser.parse_args()
    scale = SCALES[args.scale]
    on_postgres = args.warehouse != "duckdb"
    folder = scale.name + ("-postgresql" if on_postgres else "")
    work = args.work or Path(os.environ.get("UTFALL_HOME", REPO / "data")) / "bench" / folder
    if not on_postgres:
        run(scale, work.resolve(), args.results)
        return
    global POSTGRES
    from bench.postgres import bench_postgres

    with bench_postgres() as server:
        POSTGRES = server
        try:
            run(scale, work.resolve(), args.results)
        finally:
            POSTGRES = None


if __name__ == "__main__":
    main()
