"""`utfall load` of two checkouts side by side with the read_csv floor, interleaved round by
round so each sees the same load on a shared machine:

    python -m bench.compare_load DELIVERIES WORK BEFORE_SRC AFTER_SRC [ROUNDS]

Per round: the floor, the load with BEFORE_SRC first on PYTHONPATH, the load with AFTER_SRC;
each as wall time and CPU time (user + system of the process tree, which contention on the
machine inflates far less than wall time). Prints the medians and their ratios as JSON.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.run import PYTHON, UTFALL, fresh_home


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU seconds) of one command and its children."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    deliveries, work, before_src, after_src = (Path(a).resolve() for a in sys.argv[1:5])
    rounds = int(sys.argv[5]) if len(sys.argv) > 5 else 3
    runs: dict[str, list[tuple[float, float]]] = {"floor": [], "before": [], "after": []}
    for _ in range(rounds):
        runs["floor"].append(timed([PYTHON, "-m", "bench.read_floor", str(deliveries), str(work / "floor.duckdb")],
                                   dict(os.environ)))
        for name, src in (("before", before_src), ("after", after_src)):
            home = work / name
            fresh_home(home, deliveries)
            env = dict(os.environ, UTFALL_HOME=str(home), PYTHONPATH=str(src))
            runs[name].append(timed([UTFALL, "load"], env))
        print(json.dumps({k: v[-1] for k, v in runs.items()}), flush=True)
    medians = {k: {"wall_seconds": round(statistics.median(w for w, _ in v), 2),
                   "cpu_seconds": round(statistics.median(c for _, c in v), 2),
                   "runs": [[round(w, 2), round(c, 2)] for w, c in v]} for k, v in runs.items()}
    for name in ("before", "after"):
        for measure in ("wall_seconds", "cpu_seconds"):
            medians[name][f"{measure.split('_')[0]}_to_floor"] = round(
                medians[name][measure] / medians["floor"][measure], 2)
    print(json.dumps(medians, indent=2))


if __name__ == "__main__":
    main()
