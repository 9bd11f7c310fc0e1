"""What an alert says: subject and text of the e-mail a failed task sends (utfall.orchestration.alerting sends it).

Built from safe parts only: feed, rule and check names, line numbers, the contract's column
names, file names, paths. Never a value from a delivery. Everything shown also passes `scrub`,
which masks whatever is shaped like a person_id or a personnummer, as a last guard.
Who receives what is in Airflow Variables (names below); engineers read these, so English.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from utfall.ingest.contracts import AGENCY_NAMES, FEEDS
from utfall.ingest.pii import mask, redact

FIRST_LINES = 10  # offending lines named per refused file; the reason file lists up to 100

# Airflow Variables holding recipients (comma-, semicolon- or space-separated addresses).
RECIPIENTS_VARIABLE = "utfall_alert_to"  # every alert (the engineers on duty)
GATE_TOPIC = "gate"  # the annual evaluation: a failed quality gate

# Any 10–12 digits with an optional -/+ before the last four: masked whether or not the
# date and check digit make it a valid personnummer (a near miss is still too close).
_IDENTITY_LIKE = re.compile(r"(?<!\d)\d{6}(?:\d{2})?[-+]?\d{4}(?!\d)")


def topic_variable(topic: str) -> str:
    """The Variable with a topic's own recipients: a feed name, or GATE_TOPIC."""
    return f"{RECIPIENTS_VARIABLE}_{topic}"


def parse_recipients(values: Iterable[str | None]) -> list[str]:
    """Addresses from Variable values, in order, each once; an entry without '@' is an error."""
    found: list[str] = []
    for value in values:
        for address in re.split(r"[,;\s]+", value or ""):
            if not address:
                continue
            if "@" not in address:
                raise ValueError(f"alert recipient {address!r} is no e-mail address")
            if address not in found:
                found.append(address)
    return found


def scrub(text: str) -> str:
    """Every written form of a personnummer (pii.redact), then near misses and person_ids."""
    # Imported here: the suppression package pulls in pandas and scipy, too slow for DAG parsing.
    from utfall.evaluation.suppression.scan import HEX64

    text = HEX64.sub("[person_id removed]", redact(text))
    return _IDENTITY_LIKE.sub(lambda m: mask(m.group(0)), text)


@dataclass(frozen=True)
class Alert:
    subject: str
    lines: tuple[str, ...]

    @property
    def safe_subject(self) -> str:
        return scrub(self.subject)

    @property
    def text(self) -> str:
        return scrub("\n".join(self.lines))

    @property
    def html(self) -> str:
        return f'<pre style="font-family: monospace">{html.escape(self.text)}</pre>'


def _offending_line(violation, columns: set[str]) -> str:
    where = [f"line {violation.line}" if violation.line is not None else "the file as a whole"]
    if violation.column:
        # A column not in the contract came from the file's header: it is data, not a name.
        named = [c.strip() for c in violation.column.split(",")]
        where.append("column " + ", ".join(c if c in columns else "(not in the contract)" for c in named))
    return f"{', '.join(where)}: rule {violation.rule}"


def quarantine_alert(feed: str, quarantined: Sequence, handled: int, unhandled: Sequence[str] = ()) -> Alert:
    """A feed's refused files (loader FileOutcomes), `handled` files of the run in all, and the
    inbox entries it could not handle at all, left where they are (LoadReport.unhandled: names
    already redacted by the loader, scrubbed again here like every line)."""
    contract = FEEDS.get(feed)
    columns = {c.name for c in contract.columns} if contract else set()
    lines = [f"Feed: {feed}" + (f" ({AGENCY_NAMES[contract.agency]})" if contract else ""),
             f"{len(quarantined)} of {handled} file(s) in this run were refused and quarantined; "
             "the others were handled and committed.", ""]
    for outcome in quarantined:
        rules = sorted({v.rule for v in outcome.violations})
        shown = outcome.violations[:FIRST_LINES]
        lines += [f"File: {outcome.file_name}",
                  f"  Rules broken: {', '.join(rules)} ({outcome.violations_total} violation(s) in all)",
                  f"  Quarantined as: {outcome.stored_path}",
                  f"  Reason file: {outcome.stored_path}.reason.txt",
                  f"  First offending lines ({len(shown)} of {outcome.violations_total}; line 1 is the header):",
                  *(f"    {_offending_line(v, columns)}" for v in shown), ""]
    if unhandled:
        # Not even moved: they stay in the inbox, where nobody would otherwise look for them.
        lines += [f"Left in the inbox, not handled ({len(unhandled)}):", *(f"  {u}" for u in unhandled),
                  "Make them movable (permissions, immutable flag, disk space); the next load finishes them.", ""]
    lines += ["Values are never repeated in alerts; the reason file (engineers only) says what each value broke.",
              "Nothing of a refused file was loaded. Ask the sender for a corrected file and put it in the inbox,",
              f"then trigger ingest_{feed} (or run `utfall load --feed {feed}`)."]
    left = f", {len(unhandled)} left in the inbox" if unhandled else ""
    return Alert(f"[Utfall] {feed}: {len(quarantined)} file(s) quarantined{left}", tuple(lines))


def gate_alert(year: int, forbund_id: str | None, run_id: str, report: str, blocking: Sequence[str]) -> Alert:
    """A failed quality gate: the blocking checks (as `utfall gate` describes them) and the report."""
    scope = forbund_id or "every förbund"
    lines = [f"The quality gate did not pass for {year} ({scope}); no evaluation was published.",
             f"Gate run: {run_id}",
             f"Report: {report}",
             "",
             f"Blocking checks ({len(blocking)}):",
             *(f"  {b}" for b in blocking),
             "",
             "Fix the data (a corrected delivery, then the build), or record a waiver with `utfall waive`,",
             "then clear the task quality_gate.verdict of this run."]
    return Alert(f"[Utfall] quality gate {year} ({scope}) not passed: {len(blocking)} blocking check(s)",
                 tuple(lines))


def freshness_alert(freshness) -> Alert:
    """An overdue feed (a utfall.dq.freshness.Freshness)."""
    contract = FEEDS[freshness.feed]
    lines = [f"Feed: {freshness.feed} ({AGENCY_NAMES[contract.agency]}, {contract.kind} delivery)",
             f"Latest delivery loaded: {freshness.latest}",
             f"Overdue by {freshness.days_overdue} day(s): {freshness.detail}",
             "",
             "Monthly feeds: month M is due by the 20th of month M+1. Register snapshots: renewed within",
             "register_max_age_days of the newest extract. Ask the sender; once the file is in the inbox,",
             f"trigger ingest_{freshness.feed}. `utfall ledger` shows every feed's freshness."]
    return Alert(f"[Utfall] {freshness.feed}: delivery overdue ({freshness.detail})", tuple(lines))


def task_failure_alert(dag_id: str, task_id: str, run_id: str, try_number: int | None, error: BaseException | None,
                       log_url: str | None) -> Alert:
    """Any other failure: which task, and the error's type and first line (scrubbed like everything)."""
    first_line = str(error).strip().splitlines()[0] if error is not None and str(error).strip() else ""
    what = f"{type(error).__name__}: {first_line}" if error is not None else "no error recorded"
    lines = [f"DAG: {dag_id}", f"Task: {task_id}", f"Run: {run_id}", f"Try: {try_number}", f"Error: {what}"]
    if log_url:
        lines.append(f"Log: {log_url}")
    return Alert(f"[Utfall] {dag_id}.{task_id} failed", tuple(lines))
