"""Where a load's time goes: seconds per stage of each file, kept beside the ledger.

The loader times every file it handles with `Laps` (a perf_counter reading at each stage
boundary: cheap enough to stay on in production) and appends one JSON line per file to
$UTFALL_HOME/logs/load_timings.jsonl: load id, feed, file name (as the ledger stores it,
personnummer redacted), status, rows and the seconds per stage. Names and times only, never
a value of the file. `make bench` reads it to break its load stage down.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

# The stages of one file, in the order they run; a file refused early skips the later ones.
STAGES = (
    "hash",  # SHA-256 of the bytes and the ledger's look-up of them (duplicate? interrupted?)
    "read",  # scan (encoding, lines, header) and read_csv into the staged table, typed
    "rules",  # the contract's SQL rules and the personnummer scan, over the staged rows
    "gx",  # the GX expectations the SQL rules do not cover (none today: see gx_check)
    "insert",  # staged rows into raw.<feed> (INSERT, or COPY to PostgreSQL)
    "ledger",  # ledger row, superseding, commit (for a refused file: the reason file too)
    "move",  # the file to archive/ or quarantine/
    "other",  # between the stages: the staged table dropped, the outcome reported
)
LOG_NAME = Path("logs") / "load_timings.jsonl"


class Laps:
    """Seconds per stage: `lap(stage)` charges the time since the previous lap to `stage`."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._started = self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - self._last
        self._last = now

    def total(self) -> float:
        return self._last - self._started

    def rounded(self) -> dict[str, float]:
        return {stage: round(s, 5) for stage, s in self.seconds.items()} | {"total": round(self.total(), 5)}


def log_path(home: Path) -> Path:
    return home / LOG_NAME


def append(home: Path, records: list[dict]) -> None:
    """Append one JSON line per handled file (the loader calls it once per file)."""
    path = log_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def read(home: Path) -> list[dict]:
    path = log_path(home)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def breakdown(records: list[dict]) -> dict:
    """Per stage over the files: total, median and max seconds per file (a file that skipped
    the stage counts as 0 in the median), and the share of the files' total time."""
    totals = [r["seconds"].get("total", 0.0) for r in records]
    grand = sum(totals) or 1.0
    out: dict = {"files": len(records), "stages": {}}
    for stage in (*STAGES, "total"):
        per_file = [r["seconds"].get(stage, 0.0) for r in records]
        if not records:
            break
        out["stages"][stage] = {
            "total_seconds": round(sum(per_file), 3),
            "median_ms": round(statistics.median(per_file) * 1000, 2),
            "max_ms": round(max(per_file) * 1000, 2),
            "share": round(sum(per_file) / grand, 3),
        }
    return out
