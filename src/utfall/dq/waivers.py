"""Audited waivers: `utfall waive` records one; a gate run applies them.

A waiver names one check, one year and one förbund (or every förbund of the year) and says
who accepted the failure and why. It lets a failing or erroring blocking result of exactly
that check and scope pass the gate; the result keeps its status and carries the waiver's id,
so the report shows both the failure and who let it through. A förbund's waiver also covers
a national check (e.g. a missing FK month) when that förbund alone is gated, never in a run
for every förbund.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace

from utfall.db import connection

from utfall.db import tiers
from utfall.db.config import Paths
from utfall.dq import store
from utfall.dq.catalogue import load_catalogue
from utfall.dq.gate_model import Scope, plausible_year
from utfall.dq.runner import Result
from utfall.dq.scope import forbund_with_data
from utfall.dq.store import Waiver
from utfall.dq.timing import utc_now


class WaiverRefused(ValueError):
    """The waiver cannot be recorded (unknown check, empty reason, …); nothing was written."""


@tiers.secured
def record_waiver(paths: Paths, check_id: str, year: int, forbund_id: str | None, reason: str,
                  waived_by: str) -> Waiver:
    catalogue = load_catalogue()
    if check_id not in catalogue:
        raise WaiverRefused(f"okänd kontroll {check_id!r}: den finns inte i katalogen seeds/dq_checks.csv "
                            "(se reference.dq_checks eller rapportens kontroll-id)")
    if not has_visible_text(reason):
        raise WaiverRefused("ange ett skäl (--reason) med synlig text: ett undantag utan skäl går inte att granska")
    if not has_visible_text(waived_by):
        raise WaiverRefused("ange vem som beslutar undantaget (--by) med synlig text")
    try:
        plausible_year(year)
    except ValueError as e:
        raise WaiverRefused(str(e)) from None
    with connection.warehouse_transaction(paths) as con:
        store.ensure_tables(con)
        if forbund_id:
            known = forbund_with_data(con)
            if known and forbund_id not in known:
                raise WaiverRefused(f"okänt förbund {forbund_id!r}; förbund med inlästa registerleveranser: {', '.join(known)}")
        waived_at = utc_now()
        waiver_id = store.add_waiver(con, check_id, year, forbund_id or None, reason.strip(), waived_by.strip(),
                                     waived_at)
    return Waiver(waiver_id, check_id, year, forbund_id or None, reason.strip(), waived_by.strip(), waived_at)


def has_visible_text(text: str) -> bool:
    """Whether text shows something: not only spaces, line breaks, zero-width or control
    characters (Unicode categories Z* and C*), which would make an audit entry blank."""
    return any(unicodedata.category(ch)[0] not in "ZC" for ch in text)


def covers(waiver: Waiver, result: Result, scope: Scope) -> bool:
    if waiver.check_id != result.check_id or waiver.year != scope.year:
        return False
    if waiver.forbund_id is None or waiver.forbund_id == result.forbund_id:
        return True
    return result.forbund_id is None and waiver.forbund_id == scope.forbund_id


def apply_waivers(results: list[Result], waivers: list[Waiver], scope: Scope) -> list[Result]:
    """Results with waiver_id set where a waiver covers a blocking failure or error."""
    out = []
    for r in results:
        if r.severity == "blocking" and r.status in ("fail", "error"):
            matching = [w for w in waivers if covers(w, r, scope)]
            if matching:
                # The most specific waiver (one förbund) first, then the newest.
                best = max(matching, key=lambda w: (w.forbund_id is not None, w.waived_at, w.waiver_id))
                r = replace(r, waiver_id=best.waiver_id)
        out.append(r)
    return out
