"""Which load provided each month an evaluation reads, and which months changed since the
previous evaluation of the same year (issue 14: re-running the evaluation of Y gives the same
figures unless a month up to December Y was corrected, and then the manifest says by which load).

The ledger (raw.loads) is the record of loads and of the corrections that superseded them; the
gate refuses an evaluation after any load since it ran, so the ledger's current loads are the
ones the marts were built from. The previous evaluation is the manifest staff already hold
(outbox/<förbund>/<year>/manifest.json), compared load by load: no clocks involved. Nothing
here is about persons: feeds, months, file names (redacted by the ledger) and load ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class MonthLoad:
    feed: str
    month: str  # YYYY-MM
    load_id: int
    file_name: str
    loaded_at: str  # ISO, UTC

    def as_manifest(self) -> dict:
        return {"load_id": self.load_id, "file_name": self.file_name, "loaded_at": self.loaded_at}


@dataclass(frozen=True)
class ChangedMonth:
    """A month up to the cut-off whose load is not the one the previous evaluation read: a
    correction (previous_load_id set) or a month first delivered since (previous_load_id None)."""
    load: MonthLoad
    previous_load_id: int | None

    def as_manifest(self) -> dict:
        return {"feed": self.load.feed, "month": self.load.month, **self.load.as_manifest(),
                "previous_load_id": self.previous_load_id}


@dataclass(frozen=True)
class SincePrevious:
    """The previous evaluation of the year (from its manifest) and the months changed since."""
    gate_run_id: str | None
    generated_at: str | None
    changed: tuple[ChangedMonth, ...]

    def as_manifest(self) -> dict:
        return {"previous_gate_run_id": self.gate_run_id, "previous_generated_at": self.generated_at,
                "changed_months": [c.as_manifest() for c in self.changed]}


def month_loads(con, year: int) -> list[MonthLoad]:
    """The current load of every monthly feed's month up to the cut-off (December of the year)."""
    from utfall.ingest.ledger import current_month_loads

    return [MonthLoad(feed, f"{period[:4]}-{period[4:]}", int(load_id), file_name, _iso(loaded_at))
            for feed, period, load_id, file_name, loaded_at in current_month_loads(con, date(year, 12, 1))]


def manifest_loads(loads: list[MonthLoad]) -> dict[str, dict[str, dict]]:
    """{feed: {YYYY-MM: {load_id, file_name, loaded_at}}}, as the manifest lists them."""
    listed: dict[str, dict[str, dict]] = {}
    for load in loads:
        listed.setdefault(load.feed, {})[load.month] = load.as_manifest()
    return listed


def since_previous(previous_manifest: dict | None, loads: list[MonthLoad]) -> SincePrevious | None:
    """None without a previous evaluation of the year, or when its manifest (made by an earlier
    version) names no loads: then nothing can be said about what changed."""
    if not previous_manifest or not isinstance(previous_manifest.get("loads"), dict):
        return None
    before = previous_manifest["loads"]

    def previous_id(load: MonthLoad) -> int | None:
        return ((before.get(load.feed) or {}).get(load.month) or {}).get("load_id")

    changed = tuple(ChangedMonth(load, previous) for load in loads if (previous := previous_id(load)) != load.load_id)
    return SincePrevious(previous_manifest.get("gate_run_id"), previous_manifest.get("generated_at"), changed)


def _iso(value) -> str:
    return value.isoformat(sep=" ", timespec="seconds") if isinstance(value, datetime) else str(value)
