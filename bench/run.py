"""`make bench SCALE=small|national`: the whole pipeline at a chosen scale, timed the same way
every time, into bench/results/<date>-<scale>.json and .md.

Every stage runs as its own process tree (the `utfall` command an operator would run) and is
measured as wall time and peak memory: the largest sum of RSS over the tree, sampled every
20 ms. A stage that takes under a minute is repeated (median of three, each on a fresh copy
where it writes). Targets (issue 6) are judged at national scale only.
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


# --- measuring ---------------------------------------------------------------------------

class StageFailed(RuntimeError):
    pass


def measure(args: list[str], env: dict[str, str], log: Path) -> tuple[float, float]:
    """Run `args`; (wall seconds, peak RSS of the whole process tree in MiB). StageFailed on a
    non-zero exit (a killed process included)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        started = time.perf_counter()
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
        root = psutil.Process(process.pid)
        peak = 0
        while process.poll() is None:
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
    return wall, peak / 2**20


def stage(name: str, args: list[str], env: dict[str, str], log: Path,
          prepare: Callable[[], None] | None = None, repeat: bool = True) -> Stage:
    """Measure a stage; under a minute, repeat it (after `prepare`) and keep the median."""
    if prepare:
        prepare()
    wall, peak = measure(args, env, log)
    runs, peaks = [wall], [peak]
    while repeat and wall < REPEAT_UNDER_SECONDS and len(runs) < REPEATS:
        if prepare:
            prepare()
        w, p = measure(args, env, log)
        runs.append(w)
        peaks.append(p)
    result = Stage(name, " ".join(Path(a).name if a.startswith("/") else a for a in args),
                   statistics.median(runs), max(peaks), [round(r, 2) for r in runs])
    print(f"  {name:42} {result.wall_seconds:8.1f} s  {result.peak_rss_mib:8.0f} MiB  runs {result.runs}",
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


def snapshot(source: Path, target: Path) -> None:
    """A copy of a home to restart a stage from; the archived deliveries are left out (no
    stage reads them back, and at national scale they are gigabytes)."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=lambda folder, names: ["archive"] if Path(folder) == source else [])


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
    stages: list[Stage] = partial["stages"]
    print(f"Benchmark {scale.name}: {scale.forbund} förbund, {scale.participants:,} participants, "
          f"{scale.from_year}–{scale.to_year}; work folder {work}", flush=True)

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
    load = stage("utfall load (everything)", [UTFALL, "load"], env, log,
                 prepare=lambda: fresh_home(home, deliveries))
    load.note = f"{load.wall_seconds / floor.wall_seconds:.1f}× the read_csv floor"
    stages.append(load)
    loaded = work / "loaded"
    snapshot(home, loaded)
    build = stage("utfall build (full)", [UTFALL, "build"], env, log, prepare=lambda: snapshot(loaded, home))
    stages.append(build)
    dbt_nodes = partial.setdefault("dbt_breakdown", {})
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
    evaluate = stage(f"utfall evaluate --year {year} ({scale.forbund} förbund)",
                     [UTFALL, "evaluate", "--year", year], env, log, prepare=lambda: snapshot(gated, home))
    stages.append(evaluate)

    queries = analyst_query_latency(home / "published" / "analyst.duckdb", scale.evaluation_year)
    pages = report_pages(home, scale.evaluation_year)
    # the peer reads the same data the warehouse now holds: the held month goes back in place
    for path in held.rglob("*.csv"):
        shutil.copy(path, deliveries / path.parent.name / path.name)
    partial["queries"] = queries
    try:
        peer = stage("pandas peer: mart_outcomes_year 12 months", [
            PYTHON, "-m", "bench.peer_run", str(deliveries), str(work / "peer.csv")], env, log)
        peer.note = peer_agrees(work / "peer.csv", home / "warehouse.duckdb")
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
    }
    result = _result(scale, partial)
    write_results(result, results)
    return result


def _result(scale: Scale, partial: dict) -> dict:
    home = partial.get("home")
    warehouse = home / "warehouse.duckdb" if home else None
    result = {
        "date": date.today().isoformat(),
        "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "scale": asdict(scale) | {
            "evaluation_year": scale.evaluation_year, "files": partial.get("files"),
            "raw_bytes": partial.get("raw_bytes"),
            "rows": rows_in_warehouse(warehouse) if warehouse and warehouse.exists() else {}},
        "machine": machine(),
        "versions": versions(),
        "stages": [asdict(s) for s in partial["stages"]],
        "queries": partial.get("queries", []),
        "summary": partial.get("summary", {}),
        "dbt_breakdown": partial.get("dbt_breakdown", {}),
    }
    if "failed" in partial:
        result["failed"] = partial["failed"]
    complete = "summary" in partial
    result["targets"] = (judge(result["summary"]) if scale.name == "national" and complete
                         else "judged at national scale only" if complete else "not judged: the run failed")
    return result


# --- the analysts' headline queries -------------------------------------------------------

def headline_queries(year: int) -> list[tuple[str, str]]:
    """bench/headline_queries.sql: (name, SQL) with {year} filled in."""
    text = (REPO / "bench" / "headline_queries.sql").read_text(encoding="utf-8")
    out = []
    for block in text.split("-- name: ")[1:]:
        name, sql = block.split("\n", 1)
        out.append((name.strip(), sql.strip().rstrip(";").replace("{year}", str(year))))
    return out


def analyst_query_latency(db: Path, year: int, repeats: int = 5) -> list[dict]:
    out = []
    con = duckdb.connect(str(db), read_only=True)
    try:
        for name, sql in headline_queries(year):
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                rows = con.execute(sql).fetchall()
                times.append(time.perf_counter() - started)
            out.append({"query": name, "median_seconds": round(statistics.median(times), 4), "rows": len(rows)})
            print(f"  query {name:38} {statistics.median(times) * 1000:8.1f} ms  ({len(rows)} rows)", flush=True)
    finally:
        con.close()
    return out


def peer_agrees(peer_csv: Path, warehouse: Path) -> str:
    """Whether the pandas peer's figures equal mart_outcomes_year's (a fair comparison only if so)."""
    import pandas as pd

    peer = pd.read_csv(peer_csv, dtype={"forbund_id": str, "insats_id": str})
    with duckdb.connect(str(warehouse), read_only=True) as con:
        mart = con.execute("SELECT forbund_id, insats_id, exit_year, ended, followable_12m, self_supporting_12m "
                           "FROM marts.mart_outcomes_year ORDER BY 1, 2, 3").df()
    columns = ["forbund_id", "insats_id", "exit_year", "ended", "followable_12m", "self_supporting_12m"]
    same = peer[columns].astype(str).equals(mart[columns].astype(str))
    return "same figures as the mart" if same else "**differs from the mart** (see peer.csv)"


# --- context -----------------------------------------------------------------------------

def report_pages(home: Path, year: int) -> dict[str, int]:
    """Insatser with participants in the year → the most pages of such a förbund's utvardering.pdf
    (pdfinfo), read from the outbox `utfall evaluate` wrote."""
    with duckdb.connect(str(home / "published" / "analyst.duckdb"), read_only=True) as con:
        insatser = dict(con.execute(
            "SELECT forbund_id, count(DISTINCT insats_id) FROM marts.mart_participants_year "
            "WHERE year = ? AND dimension = 'total' AND persons > 0 GROUP BY 1", [year]).fetchall())
    most: dict[str, int] = {}
    for pdf in sorted((home / "outbox").glob(f"*/{year}/utvardering.pdf")):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
        n = str(insatser.get(pdf.parent.parent.name, 0))
        most[n] = max(most.get(n, 0), pages)
    return dict(sorted(most.items()))


def rows_in_warehouse(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        raw = con.execute("SELECT sum(rows_loaded) FROM raw.loads WHERE status = 'loaded'").fetchone()[0]
        try:
            panel = con.execute("SELECT count(*) FROM intermediate.int_person_months").fetchone()[0]
        except duckdb.CatalogException:  # not built (a failed run)
            panel = 0
    return {"raw_rows_loaded": int(raw or 0), "person_months": int(panel)}


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


def markdown(result: dict) -> str:
    s, m, v = result["scale"], result["machine"], result["versions"]
    rows = s.get("rows") or {}
    lines = [
        f"# Benchmark {s['name']} — {result['date']}",
        "",
        f"{s['forbund']} förbund, {s['participants']:,} participants, {s['from_year']}–{s['to_year']} "
        f"({s['files']} files, {(s['raw_bytes'] or 0) / 2**20:,.0f} MiB, {rows.get('raw_rows_loaded', 0):,} rows "
        f"loaded, {rows.get('person_months', 0):,} person-months). Evaluation year {s['evaluation_year']}.",
        f"Machine: {m['cores']} cores, {m['ram_gib']} GiB RAM, {m['cpu']}. utfall {v['utfall_commit']}, "
        f"Python {v['python']}, DuckDB {v['duckdb']}, dbt-core {v['dbt-core']}, Airflow {v['apache-airflow']}.",
        "",
        "| stage | wall time | peak memory (process tree) | runs | note |",
        "|---|---:|---:|---|---|",
    ]
    for st in result["stages"]:
        lines.append(f"| {st['name']} | {st['wall_seconds']:.1f} s | {st['peak_rss_mib']:,.0f} MiB | "
                     f"{', '.join(f'{r:.1f}' for r in st['runs'])} | {st['note']} |")
    lines += ["", "| headline query | median latency | rows |", "|---|---:|---:|"]
    lines += [f"| {q['query']} | {q['median_seconds'] * 1000:.1f} ms | {q['rows']} |" for q in result["queries"]]
    for name, b in result.get("dbt_breakdown", {}).items():
        lines += dbt_breakdown.markdown(name, b)
    if result.get("failed"):
        lines += ["", f"**The run stopped**: {result['failed']}"]
    lines += ["", "Summary: " + ", ".join(f"{k} {v}" for k, v in result["summary"].items())]
    if isinstance(result["targets"], dict):
        lines += ["", "| target | met |", "|---|---|"]
        lines += [f"| {k} | {'yes' if ok else '**no**'} |" for k, ok in result["targets"].items()]
    return "\n".join(lines) + "\n"


def write_results(result: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{result['date']}-{result['scale']['name']}"
    (folder / f"{stem}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / f"{stem}.md").write_text(markdown(result), encoding="utf-8")
    print(f"Results: {folder / stem}.json and .md", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--work", type=Path, help="work folder (default $UTFALL_HOME/bench/<scale>)")
    parser.add_argument("--results", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()
    scale = SCALES[args.scale]
    work = args.work or Path(os.environ.get("UTFALL_HOME", REPO / "data")) / "bench" / scale.name
    run(scale, work.resolve(), args.results)


if __name__ == "__main__":
    main()
