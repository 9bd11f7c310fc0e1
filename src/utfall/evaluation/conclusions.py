"""Goal verdicts and the report's conclusions, by explicit rules over suppressed figures.

Every input here is a display value as a table shows it: a figure, the threshold label ('<5'),
'..' or None (nothing there). A verdict or a sentence is a function of what the report already
shows, so it can tell a reader nothing the tables do not: a goal judged "from the bound" of a
hidden count uses only that the count is 1–4 ('<5') or anything from 0 to the shown denominator
('..'), which any reader of the table can work out too.

Verdicts (the goal table, domain brief §5):
- a share goal (arbete, studier) is met when the share of the year's exits reaches it, and not
  met when it does not. With a hidden count the share lies between two bounds: met when the lower
  bound reaches the goal, not met when the upper bound is below it, else it cannot be judged.
  Work = arbete + arbete med lönestöd: each part contributes its own bounds, so a shown arbete
  that alone reaches the goal is met whatever the hidden lönestöd count is.
- the caseload goal (at most N participants per coach FTE) is met when no month's end of the
  year lay above it (mart_caseload_year).
- the occupation goal is shown but cannot be judged: no source reports sysselsättning.

Conclusions: pure rules, each giving at most one Swedish sentence naming the table it is read
from; `select` keeps the first `MAX_CONCLUSIONS` by rule order. The rules and their order are
documented in the method section (`tables_method.CONCLUSION_RULES_SV`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from utfall.evaluation.render_format import Kind, format_value, is_missing, is_number
from utfall.evaluation.suppression import HIDDEN, small_label

GOAL_TABLE = "Måluppfyllelse"
MAX_CONCLUSIONS = 6
# A change against last year smaller than this (percentage points) is "about the same".
CHANGE_POINTS = 5
# tolerance of the float comparison share >= goal (8/40 against a goal of 0.2 is met)
EPS = 1e-9


class Verdict(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"  # a goal exists but the figures cannot decide it
    NO_GOAL = "no_goal"


# How each verdict begins in a table cell (symbol and words), and its colour class in the HTML.
VERDICT_START = {Verdict.MET: "✓ Uppnått", Verdict.NOT_MET: "✗ Ej uppnått", Verdict.UNKNOWN: "– Kan inte bedömas",
                 Verdict.NO_GOAL: "– Inget mål rapporterat"}


def verdict_css(text: str) -> str:
    """'verdict-met' etc. for a cell holding a verdict, '' for any other text."""
    for verdict, start in VERDICT_START.items():
        if text.startswith(start):
            return f"verdict-{verdict.value.replace('_', '-')}"
    return ""


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    why: str = ""  # Swedish: why it cannot be judged, or what was not met
    bound: str = ""  # '' = judged from shown figures; else the hidden label it was judged from
    # judged from a bound: the least share the shown figures allow (met) or the most (not met);
    # it tells no more than the shown figures and '<5' already do
    limit: float | None = None

    @property
    def from_bound(self) -> bool:
        return bool(self.bound)

    @property
    def limit_text(self) -> str:
        """'minst 25 %' (met) or 'högst 6 %' (not met) when judged from a bound; else ''."""
        if not self.bound or self.limit is None:
            return ""
        return f"{'minst' if self.verdict is Verdict.MET else 'högst'} {format_value(self.limit, Kind.PERCENT)}"

    @property
    def text(self) -> str:
        """Symbol and words, so that the verdict reads without colour (and in greyscale print)."""
        text = VERDICT_START[self.verdict]
        if self.verdict is Verdict.NO_GOAL:
            return text
        if self.verdict is Verdict.UNKNOWN:
            return f"{text}: {self.why}"
        details = [self.why] if self.why else []
        if self.bound:
            details += [self.limit_text] if self.limit_text else []
            details.append(f"ett antal {self.bound} visas inte" if self.bound != HIDDEN else "ett antal visas inte")
        return f"{text} ({'; '.join(details)})" if details else text


def _bounds(value, threshold: int, upper: int) -> tuple[int, int]:
    """What a reader knows of a count from its display value: a shown figure exactly, '<5' that
    it is 1..threshold-1, '..' or nothing shown only that it lies between 0 and the denominator."""
    if is_number(value):
        return int(value), int(value)
    if value == small_label(threshold):
        return 1, threshold - 1
    return 0, upper


def _hidden_label(values: Iterable, threshold: int) -> str:
    """'' when every value is a shown figure; 'färre än 5' when the hidden ones are all '<5'."""
    hidden = [v for v in values if not is_number(v)]
    if not hidden:
        return ""
    return f"färre än {threshold}" if all(v == small_label(threshold) for v in hidden) else HIDDEN


def judge_share(parts: Sequence, denominator, goal, threshold: int, shown_total=None) -> Judgement:
    """A share goal of the year's exits. parts: the display values whose sum is the numerator (work:
    arbete and arbete med lönestöd as the exit-reason table shows them); denominator: the exits as
    shown; shown_total: the numerator as the goal table itself shows it (narrows the bounds)."""
    if goal is None or is_missing(goal):
        return Judgement(Verdict.NO_GOAL)
    if is_missing(denominator) or (is_number(denominator) and not denominator):
        return Judgement(Verdict.UNKNOWN, "inga avslut under året")
    if not is_number(denominator):
        return Judgement(Verdict.UNKNOWN, "antalet avslutade är dolt")
    den = int(denominator)
    lo = sum(_bounds(p, threshold, den)[0] for p in parts)
    hi = min(sum(_bounds(p, threshold, den)[1] for p in parts), den)
    used = list(parts)
    if shown_total is not None and not is_missing(shown_total):
        t_lo, t_hi = _bounds(shown_total, threshold, den)
        lo, hi = max(lo, t_lo), min(hi, t_hi)
        if is_number(shown_total):
            used = [shown_total]  # the sum itself is shown: the parts' labels do not matter
    bound = _hidden_label(used, threshold)
    if lo >= float(goal) * den - EPS:
        # whole percent, rounded away from the goal: 'minst 2 %' for 2.5 %, never 'minst 3 %'
        return Judgement(Verdict.MET, bound=bound, limit=math.floor(lo * 100 / den + EPS) / 100 if bound else None)
    if hi < float(goal) * den - EPS:
        return Judgement(Verdict.NOT_MET, bound=bound, limit=math.ceil(hi * 100 / den - EPS) / 100 if bound else None)
    return Judgement(Verdict.UNKNOWN, "det dolda antalet kan ligga både under och över målet")


def judge_caseload(months_above: int, months_judged: int, goal) -> Judgement:
    """At most `goal` participants per coach FTE, judged at every month's end of the year."""
    if goal is None or is_missing(goal) or not goal:
        return Judgement(Verdict.NO_GOAL)
    if not months_judged:
        return Judgement(Verdict.UNKNOWN, "inga årsarbetare jobbcoach rapporterade")
    if months_above == 0:
        return Judgement(Verdict.MET)
    return Judgement(Verdict.NOT_MET, f"{months_above} av {months_judged} månader över målet")


def judge_occupation(goal) -> Judgement:
    if goal is None or is_missing(goal):
        return Judgement(Verdict.NO_GOAL)
    return Judgement(Verdict.UNKNOWN, "ingen källa anger sysselsättning")


# --- conclusions --------------------------------------------------------------------------

@dataclass(frozen=True)
class Conclusion:
    text: str  # one Swedish sentence, ending with the table it is read from
    table: str  # that table's title


@dataclass(frozen=True)
class GoalFigure:
    """One share goal of one insats as the goal table shows it."""

    goal: str  # 'arbete', 'studier'
    value: str  # the shown share ('32 %'), or '' when hidden
    target: str  # the goal ('20 %')
    judgement: Judgement


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} och {items[-1]}"


def _goal_phrase(f: GoalFigure) -> str:
    j = f.judgement
    if j.limit_text:
        return f"{f.goal} ({j.limit_text} mot målet {f.target})"
    if j.from_bound or not f.value:
        return f"{f.goal} (målet {f.target}; ett antal visas inte)"
    return f"{f.goal} ({f.value} mot målet {f.target})"


def goals_rule(insats: str, figures: Sequence[GoalFigure], year: int) -> Conclusion | None:
    """Rule 1: which share goals the insats met and did not meet among the year's exits."""
    met = [_goal_phrase(f) for f in figures if f.judgement.verdict is Verdict.MET]
    not_met = [_goal_phrase(f) for f in figures if f.judgement.verdict is Verdict.NOT_MET]
    if not met and not not_met:
        return None
    of = f"Bland avsluten {year} i {insats}"
    if met and not_met:
        text = f"{of} nåddes målet för {_and(met)}, men inte målet för {_and(not_met)}"
    elif met:
        text = f"{of} nåddes målet för {_and(met)}"
    else:
        text = f"{of} nåddes inte målet för {_and(not_met)}"
    return Conclusion(f"{text} (tabell {GOAL_TABLE}).", GOAL_TABLE)


def caseload_rule(insats: str, months_above: int, months_judged: int, goal_text: str) -> Conclusion | None:
    """Rule 2: the caseload against its goal over the year's months."""
    if not months_judged or not goal_text:
        return None
    if months_above == 0:
        text = (f"{insats} höll målet om {goal_text} deltagare per årsarbetare jobbcoach vid alla "
                f"{months_judged} månadsskiften")
    else:
        text = (f"{insats} hade fler deltagare per årsarbetare jobbcoach än målet ({goal_text}) vid {months_above} av "
                f"{months_judged} månadsskiften")
    return Conclusion(f"{text} (tabell {GOAL_TABLE}).", GOAL_TABLE)


def change_rule(insats: str, this_share, last_share, year: int, table_title: str) -> Conclusion | None:
    """Rule 3: the share of exits to work or studies against last year, when both are shown."""
    if not (is_number(this_share) and is_number(last_share)):
        return None
    this, last = float(this_share), float(last_share)
    points = (this - last) * 100
    a, b = format_value(last, Kind.PERCENT), format_value(this, Kind.PERCENT)
    if abs(points) < CHANGE_POINTS:
        how = f"var ungefär densamma som året före ({a} {year - 1}, {b} {year})"
    else:
        how = f"{'ökade' if points > 0 else 'minskade'} från {a} {year - 1} till {b} {year}"
    return Conclusion(f"Andelen av avsluten i {insats} som ledde direkt till arbete eller studier {how} "
                      f"(tabell {table_title}).", table_title)


def fidelity_rule(insats: str, score: int | None, band: str, reviewed: str, table_title: str) -> Conclusion | None:
    """Rule 4: the latest IPS-25 review and its band."""
    if score is None:
        return None
    return Conclusion(f"Den senaste granskningen av programtroheten i {insats} ({reviewed}) gav {score} av 125 "
                      f"poäng, vilket innebär att insatsen {band} (tabell {table_title}).", table_title)


def national_rule(forbund_share, riket_share, exit_year: int, table_title: str) -> Conclusion | None:
    """Rule 5: self-support 12 months after exit against riket, when both are shown."""
    if not (is_number(forbund_share) and is_number(riket_share)):
        return None
    a, b = format_value(forbund_share, Kind.PERCENT), format_value(riket_share, Kind.PERCENT)
    return Conclusion(f"Av förbundets avslut {exit_year} som kan följas upp var {a} i egen försörjning 12 månader "
                      f"efter avslut, mot {b} i riket (tabell {table_title}).", table_title)


def select(candidates: Iterable[Conclusion | None]) -> list[Conclusion]:
    """The conclusions in rule order (the callers list goals first), at most MAX_CONCLUSIONS."""
    return [c for c in candidates if c is not None][:MAX_CONCLUSIONS]
