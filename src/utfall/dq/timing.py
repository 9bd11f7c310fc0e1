"""When a check started and how long it took, for `Measurement.started_at` / `duration_s`."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from utfall.ingest.ledger import utc_now


class Timer:
    started_at: str
    duration_s: float


@contextmanager
def timed() -> Iterator[Timer]:
    """`with timed() as t: …` then t.started_at (ISO UTC) and t.duration_s."""
    timer = Timer()
    timer.started_at = utc_now().isoformat(timespec="milliseconds")
    t0 = time.monotonic()
    try:
        yield timer
    finally:
        timer.duration_s = round(time.monotonic() - t0, 4)
