"""Run the pandas peer on a deliveries folder and write its figures as CSV (for `bench.run`)."""

from __future__ import annotations

import sys
from pathlib import Path

from bench.pandas_peer import outcomes_12m

if __name__ == "__main__":
    repo = Path(__file__).resolve().parents[1]
    outcomes_12m(Path(sys.argv[1]), repo / "seeds").to_csv(sys.argv[2], index=False)
