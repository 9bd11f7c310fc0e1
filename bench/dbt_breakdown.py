"""Where a `utfall build` spends its time: per dbt node, from the run_results.json it left.

Totals per resource type (models, tests, seeds …) and the slowest nodes, beside the stage's
wall time in the bench results; what the nodes do not account for is dbt's start (parsing)
and the publishing of the analysts' copy.
"""

from __future__ import annotations

import json
from pathlib import Path

TOP_NODES = 15


def breakdown(run_results: Path, top: int = TOP_NODES) -> dict:
    """{dbt_elapsed_seconds, by_resource_type: {type: {nodes, seconds}}, top_nodes: [...]}."""
    data = json.loads(run_results.read_text(encoding="utf-8"))
    by_type: dict[str, dict] = {}
    nodes = []
    for r in data.get("results", []):
        kind = r["unique_id"].split(".", 1)[0]  # model, test, seed, unit_test, …
        seconds = float(r.get("execution_time") or 0.0)
        total = by_type.setdefault(kind, {"nodes": 0, "seconds": 0.0})
        total["nodes"] += 1
        total["seconds"] += seconds
        nodes.append({"node": r["unique_id"], "resource_type": kind, "status": str(r["status"]),
                      "seconds": round(seconds, 3)})
    for total in by_type.values():
        total["seconds"] = round(total["seconds"], 2)
    nodes.sort(key=lambda n: -n["seconds"])
    return {"dbt_elapsed_seconds": round(float(data.get("elapsed_time") or 0.0), 2),
            "by_resource_type": dict(sorted(by_type.items())), "top_nodes": nodes[:top]}


def markdown(stage: str, b: dict) -> list[str]:
    lines = ["", f"dbt nodes of “{stage}” (seconds summed over dbt's threads; its elapsed time {b['dbt_elapsed_seconds']:.1f} s):", "",
             "| resource type | nodes | seconds |", "|---|---:|---:|"]
    lines += [f"| {kind} | {t['nodes']} | {t['seconds']:.1f} |" for kind, t in b["by_resource_type"].items()]
    lines += ["", "| slowest node | status | seconds |", "|---|---|---:|"]
    lines += [f"| {n['node']} | {n['status']} | {n['seconds']:.2f} |" for n in b["top_nodes"]]
    return lines
