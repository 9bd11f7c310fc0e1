"""Where a job's time goes: seconds per stage, kept as JSON lines under $UTFALL_HOME/logs.

A job (one file's load, one förbund's report) is timed with `Laps`, a perf_counter reading at
each stage boundary: cheap enough to stay on in production. Each job appends one JSON line of
names and seconds only, never a value of the data; `make bench` reads the lines back and
`breakdown` sums them per stage. Appending one short line per job is safe from several
processes at once (the evaluation's renderers).
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path


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


def append(path: Path, records: list[dict]) -> None:
    """Append one JSON line per job."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def breakdown(records: list[dict], stages: tuple[str, ...], unit: str = "files") -> dict:
    """Per stage over the jobs: total, median and max seconds per job (a job that skipped the
    stage counts as 0 in the median), and the share of the jobs' total time."""
    totals = [r["seconds"].get("total", 0.0) for r in records]
    grand = sum(totals) or 1.0
    out: dict = {unit: len(records), "stages": {}}
    if not records:
        return out
    for stage in (*stages, "total"):
        per_job = [r["seconds"].get(stage, 0.0) for r in records]
        out["stages"][stage] = {
            "total_seconds": round(sum(per_job), 3),
            "median_ms": round(statistics.median(per_job) * 1000, 2),
            "max_ms": round(max(per_job) * 1000, 2),
            "share": round(sum(per_job) / grand, 3),
        }
    return out
