"""The floor for ingest: DuckDB reads every delivered file once with read_csv into a scratch
database, one table per feed, and nothing else (no validation, no ledger)."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb


def read_everything(deliveries: Path, scratch: Path) -> int:
    scratch.unlink(missing_ok=True)
    rows = 0
    with duckdb.connect(str(scratch)) as con:
        for folder in sorted(p for p in deliveries.iterdir() if p.is_dir()):
            pattern = str(folder / "*.csv")
            con.execute(f"CREATE TABLE {folder.name} AS SELECT * FROM read_csv(?, delim = ';', header = true, "
                        "union_by_name = true)", [pattern])
            rows += con.execute(f"SELECT count(*) FROM {folder.name}").fetchone()[0]
    scratch.unlink(missing_ok=True)
    return rows


if __name__ == "__main__":
    print(read_everything(Path(sys.argv[1]), Path(sys.argv[2])), "rows")
