"""What a DAG file needs to know of the feeds at parse time: the contracts (plain Python, no
database driver) and the delivery agreement's due day."""

from __future__ import annotations

from utfall.ingest.contracts import AGENCY_NAMES, DUE_DAY, FEEDS, Feed

__all__ = ["AGENCY_NAMES", "DUE_DAY", "FEEDS", "Feed"]
