"""What a delivered file is, from where it lies and what it is called (domain brief §3).

Monthly agency feeds:      inbox/<feed>/<feed>_<YYYYMM>.csv
Förbund register snapshots: inbox/<feed>/<feed>_<forbund_id>_<YYYYMMDD>.csv
Parquet with the same columns is accepted too.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from utfall.ingest import pii
from utfall.ingest.contracts import FEEDS, FORBUND_ID_PATTERN, Feed

FORMATS = {".csv": "csv", ".parquet": "parquet"}


class DeliveryNameError(ValueError):
    """The file cannot be a delivery: unknown feed, or a name without a valid period."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class Delivery:
    path: Path
    feed: Feed
    period: str  # YYYYMM (monthly) or YYYYMMDD (snapshot extract date)
    forbund_id: str | None
    file_format: str

    @property
    def period_start(self) -> date:
        return date(int(self.period[:4]), int(self.period[4:6]), int(self.period[6:8]) if len(self.period) == 8 else 1)

    @property
    def period_end(self) -> date:
        """Last day the file may speak of: month end, or the snapshot's extract date."""
        start = self.period_start
        if len(self.period) == 8:
            return start
        return date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])


def identify(path: Path, feed_name: str, today: date | None = None) -> Delivery:
    """Recognise a file found in inbox/<feed_name>/; raise DeliveryNameError if it is none of ours."""
    today = today or date.today()
    if pii.contains(path.name, today):  # refused for that before any rule quotes the name
        raise DeliveryNameError("personal_identity_number", "the file name holds a valid personnummer or "
                                "samordningsnummer; rename the file and deliver it again")
    feed = FEEDS.get(feed_name)
    if feed is None:
        raise DeliveryNameError(
            "unknown_feed", f"folder {feed_name!r} is not a known feed (known: {', '.join(FEEDS)})"
        )
    file_format = FORMATS.get(path.suffix.lower())
    if file_format is None:
        raise DeliveryNameError(
            "file_format", f"file type {path.suffix or '(none)'!r} is not accepted; deliver .csv or .parquet"
        )
    stem = path.stem
    if feed.kind == "monthly":
        m = re.fullmatch(re.escape(feed.name) + r"_(\d{6})", stem)
        expected = f"{feed.name}_YYYYMM{path.suffix}"
        forbund_id = None
    else:
        m = re.fullmatch(re.escape(feed.name) + r"_(" + FORBUND_ID_PATTERN[1:-1] + r")_(\d{8})", stem)
        expected = f"{feed.name}_<forbund_id>_YYYYMMDD{path.suffix}"
        forbund_id = m.group(1) if m else None
    if not m:
        raise DeliveryNameError("file_name", f"file name {path.name!r} does not follow {expected}")
    period = m.group(m.lastindex)
    try:
        delivery = Delivery(path, feed, period, forbund_id, file_format)
        start = delivery.period_start
    except ValueError:
        raise DeliveryNameError("file_name", f"period {period} in {path.name!r} is not a valid date") from None
    if start > today:
        raise DeliveryNameError("file_name", f"period {period} in {path.name!r} lies in the future")
    return delivery
