"""Where a load's time goes: seconds per stage of each file, kept beside the ledger.

The loader times every file it handles with `Laps` (utfall.db.stage_timings) and appends
one JSON line per file to $UTFALL_HOME/logs/load_timings.jsonl: load id, feed, file name (as the ledger stores it,
personnummer redacted), status, rows and the seconds per stage. Names and times only, never
a value of the file. `make bench` reads it to break its load stage down.
"""

from __future__ import annotations

from pathlib import Path

from utfall.db import stage_timings

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


def log_path(home: Path) -> Path:
    return home / LOG_NAME


def append(home: Path, records: list[dict]) -> None:
    """Append one JSON line per handled file (the loader calls it once per file)."""
    stage_timings.append(log_path(home), records)


def read(home: Path) -> list[dict]:
    return stage_timings.read(log_path(home))


def breakdown(records: list[dict]) -> dict:
    """Per stage over the files (utfall.db.stage_timings.breakdown)."""
    return stage_timings.breakdown(records, STAGES)
