"""One insats's section of the annual evaluation: participants, flows, outcomes, before/after,
transitions, time to first work and fidelity (the socioeconomic part is tables_socio.py).

Every table is built from the marts and leaves through `suppress_table`; prose quotes display
values only.
"""

from __future__ import annotations

import pandas as pd

from utfall.dq.cohorts import (
    AT_EXIT, SIX_MONTHS, TWELVE_MONTHS, TWENTY_FOUR_MONTHS, FollowUp, cohort_label, not_yet_followable,
    why_not_followable,
)
from utfall.evaluation.report_model import Chart, ReportTable
from utfall.evaluation.tables_common import (
    MONTHS_SV, STATUS_ORDER, STATUS_SV, Links, fmt_count, fmt_number, fmt_sek, fmt_share, share, shown_number,
    suppress_table, table, with_text,
)
from utfall.evaluation.render_format import is_missing
from utfall.evaluation.tables_data import Insats
from utfall.evaluation.suppression import HIDDEN, Reason, Suppressed, TableSpec
from utfall.evaluation.suppression.audit import HIDDEN as HIDDEN_KIND
from utfall.evaluation.suppression.audit import SMALL as SMALL_KIND
from utfall.evaluation.suppression.audit import exposed_cells
from utfall.evaluation.suppression.grid import Sum

TOTAL = "Totalt"
P, A = "Personer", "Andel"

# dimension -> (key suffix, Swedish title, category order or None = by label)
DIMENSIONS = (
    ("sex", "kon", "Kön", ("K", "M")),
    ("age_group", "alder", "Ålder vid start", ("18-25", "26-33", "34-41", "42-49", "50-57", "58-65", "other")),
    ("home_kommun", "kommun", "Hemkommun", None),
    ("education_level", "utbildning", "Utbildning",
     ("grundskola", "gymnasium", "eftergymnasial", "hogskola", "okand")),
    ("support_at_start", "stod_start", "Försörjning före start",
     ("ohalsa", "arbetsmarknadsstod", "ekonomiskt_bistand", "boendestod", "none", "unknown")),
    ("years_in_public_support_before_start", "ar_i_stod", "År i offentlig försörjning före start",
     ("0", "1", "2", "3", "4", "5", "okand")),
    ("months_in_insats", "manader", "Månader i insatsen", ("1-3", "4-6", "7-9", "10-12", "13-17", "18+")),
)
MULTI_VALUED = {"support_at_start"}  # categories do not add up to the total
SUPPORT_HISTORY = "years_in_public_support_before_start"


def years_covered_label(mine: pd.DataFrame) -> str:
    """Out of how many years before start the years in support are counted: the data cover up to
    five, fewer for those who started soon after the data begin (mart dimension
    support_history_years_covered; those with none are 'okänt')."""
    covered = sorted(int(c) for c, n in zip(mine.category, mine.persons)
                     if n > 0 and int(c) > 0) if len(mine) else []
    if not covered:
        return "(data täcker inga år före start)"
    low, high = covered[0], covered[-1]
    if low == high:
        return f"(av de {low} år före start som data täcker)"
    return f"(av de {low}–{high} år före start som data täcker, beroende på när personen började)"

# Not month 0: everyone followed then is every inskrivning minus those already in work, and the
# inskrivningar are shown year by year, so month 0 would give away a hidden "already in work".
FOLLOW_UP_CHECKPOINTS = (3, 6, 9, 12, 18, 24, 36)


def _ordered(sub: pd.DataFrame, order) -> pd.DataFrame:
    if order is None:
        return sub.sort_values(["category_label", "category"])
    rank = {c: i for i, c in enumerate(order)}
    return sub.assign(_r=sub["category"].map(lambda c: rank.get(c, len(rank)))).sort_values(["_r", "category"])


GROUP = "Grupp"


def participant_tables(ins: Insats, part: pd.DataFrame, t: int, links: Links):
    """The participants in one compact table: per background variable its groups (persons and
    share of the insats's participants), one block of rows after the other.

    Each variable's block is suppressed on its own, with its groups summing to the total (one
    kind of support at start can be several per person: no sum there), as separate tables would
    be; the blocks are then laid out together under the total. A block whose suppression had to
    hide a total of at least the threshold (it counted on the total being unknown) is left out,
    and the returned list of left-out variables says which. Returns ([table] or [], [], left_out)."""
    mine = part[part.insats_id == ins.insats_id]
    total_rows = mine[mine.dimension == "total"]
    total = int(total_rows.persons.iloc[0]) if len(total_rows) else 0
    blocks, left_out = [], []
    for dim, _suffix, title, order in DIMENSIONS:
        sub = _ordered(mine[mine.dimension == dim], order)
        if sub.empty:
            continue
        frame = pd.DataFrame({P: list(sub.persons.astype(int)) + [total]},
                             index=list(sub.category_label) + [TOTAL])
        frame[A] = [share(v, total) for v in frame[P]]
        spec = TableSpec(counts=[P], derived={A: [P, (TOTAL, P)]},
                         total_rows={} if dim in MULTI_VALUED else {TOTAL: None}, name=f"{ins.insats_id}_{_suffix}")
        sup = suppress_table(frame, spec, t)
        if sup.hidden.at[TOTAL, P] and total >= t:
            left_out.append(title)
            continue
        blocks.append((title, sup))
    if not blocks:
        return [], [], left_out
    covered = years_covered_label(mine[mine.dimension == "support_history_years_covered"])
    rt = _stacked(ins, blocks, total, t, covered)
    links.record(rt.suppressed, {(ins.insats_id, "active"): (TOTAL, P)})
    return [rt], [], left_out


def _stacked(ins: Insats, blocks: list[tuple[str, Suppressed]], total: int, t: int, covered: str) -> ReportTable:
    """The variables' suppressed blocks as one table: the total first, then per variable a row
    naming it (no figures) and its groups. A group label used by two variables is qualified."""
    first = blocks[0][1]
    seen: set[str] = {TOTAL}
    labels, displays, reasons = [TOTAL], [first.display.loc[[TOTAL], [P, A]]], [first.reasons.loc[[TOTAL], [P, A]]]
    for title, sup in blocks:
        groups = [r for r in sup.display.index if r != TOTAL]
        named = [g if g not in seen and g != title else f"{g} ({title.lower()})" for g in groups]
        seen.update(named)
        labels += [title, *named]
        displays += [pd.DataFrame({P: [None], A: [None]}, index=[title], dtype=object), sup.display.loc[groups, [P, A]]]
        reasons += [pd.DataFrame({P: [Reason.SHOWN], A: [Reason.SHOWN]}, index=[title]), sup.reasons.loc[groups, [P, A]]]
    index = pd.Index(labels, name=GROUP)
    display = pd.concat(displays).set_axis(index)
    reason = pd.concat(reasons).set_axis(index)
    # The declared spec is the first block's (kön: the groups sum to the total); every block was
    # suppressed above under its own sums.
    first_groups = [r for r in first.display.index if r != TOTAL]
    spec = TableSpec(counts=[P], derived={A: [P, (TOTAL, P)]},
                     total_rows={TOTAL: first_groups} if first.spec.total_rows else {},
                     name=f"{ins.insats_id}_deltagare")
    sup = Suppressed(display=display, reasons=reason, spec=spec, threshold=t)
    return ReportTable(
        key=f"{ins.insats_id}_deltagare", title=f"{ins.name}: deltagarna under året", suppressed=sup,
        percent_columns=(A,),
        note=("Personer som deltog i insatsen någon gång under året, beskrivna av sin senaste inskrivning; andelen "
              "räknas av alla deltagare under året. Försörjning före start = månaden före inskrivning; en person kan "
              "ha flera försörjningsformer, så de raderna summerar inte till totalen. År i offentlig försörjning "
              f"{covered}: hela 12-månadersperioder före inskrivningsmånaden med minst en månad med ersättning vid "
              "ohälsa, arbetsmarknadsstöd eller ekonomiskt bistånd; bara perioder som helt finns i levererade data "
              "räknas, och den som inte har någon sådan period före start är okänd, inte 0 år."))


METHODS_SV = {"IPS": "IPS (Individual Placement and Support)", "IPS_LITE": "IPS Lite",
              "SE": "Supported Employment (SE)", "SED": "Supported Education (SEd)", "ANNAN": "Egen metod"}


def description_table(ins: Insats, descriptions: pd.DataFrame, year: int, t: int) -> ReportTable:
    """What the insats is, from the förbund's own registers (the insatser register and the year's
    plan): method, insatsägare, target group, start, budget against cost, coach FTE and goals. A
    fact not reported is left out rather than shown empty. Financing is not in any delivery, so
    nothing is said of it. No persons are counted here: nothing to suppress."""
    mine = descriptions[descriptions.insats_id == ins.insats_id]
    d = mine.iloc[0] if len(mine) else pd.Series(dtype=object)
    known = (lambda c: c in d.index and not is_missing(d[c]))
    rows: dict[str, str] = {"Metod": METHODS_SV.get(ins.method, ins.method)}
    if known("operator"):
        rows["Insatsägare"] = str(d.operator)
    if known("target_group"):
        rows["Målgrupp"] = str(d.target_group)
    if known("started_on"):
        rows["Startade"] = pd.Timestamp(d.started_on).date().isoformat()
    if known("ended_on"):
        rows["Avslutades"] = pd.Timestamp(d.ended_on).date().isoformat()
    if known("budget_sek") or known("cost_sek"):
        budget = fmt_sek(float(d.budget_sek)) if known("budget_sek") else "inte rapporterad"
        cost = fmt_sek(float(d.cost_sek)) if known("cost_sek") else "inte rapporterad"
        rows[f"Budget och kostnad {year}"] = f"budget {budget}, kostnad {cost}"
    if known("coach_fte"):
        rows[f"Årsarbetare jobbcoach {year}"] = fmt_number(float(d.coach_fte))
    goals = [f"{fmt_share(float(d[c]))} {what}" for c, what in (
        ("goal_share_work", "av de avslutade till arbete"), ("goal_share_studies", "till studier"),
        ("goal_share_occupation", "till sysselsättning")) if known(c)]
    if known("goal_participants_per_coach"):
        goals.append(f"högst {fmt_number(float(d.goal_participants_per_coach), 0)} deltagare per årsarbetare")
    if goals:
        rows[f"Mål {year}"] = "; ".join(goals)
    frame = pd.DataFrame({"Uppgift": list(rows.values())}, index=pd.Index(list(rows), name=""))
    return table(f"{ins.insats_id}_beskrivning", f"{ins.name}: insatsen i korthet", frame, TableSpec(counts=[]), t,
                 note="Enligt förbundets register över insatserna och insatsens plan för året.")


def _count_or_none(values) -> list:
    """Counts as int, an unknown figure (None, NaN, pd.NA) as None: shown empty, never as 0."""
    return [None if is_missing(v) else int(v) for v in values]


def _number_or_none(value) -> float | None:
    return None if is_missing(value) else float(value)


def flow_tables(ins: Insats, flows: pd.DataFrame, register: pd.DataFrame, year: int, t: int, queue: dict,
                summary_row: pd.Series, links: Links, persons: int, caseload_goal: float | None = None):
    """Monthly stocks (active, waiting and passiv at month end, caseload) and the year's flows and
    queue. Waiting and passiv come from every version of the register (mart_register_month): a
    month no version tells is empty.

    Monthly new and ended are not shown beside the stocks: a stock and its neighbour month give
    new − ended, so a small monthly flow could be worked out. The year's new and ended are
    shown instead, in the identity table with the year's start and end stocks (`flow_identity`),
    whose secondary suppression the other tables follow."""
    mine = flows[flows.insats_id == ins.insats_id].sort_values("month_start")
    identity, forced = flow_identity(ins, mine, year, t, persons)
    reg = register[register.insats_id == ins.insats_id].set_index("month_start")
    reg = reg.reindex(mine.month_start)
    labels = [f"{MONTHS_SV[m.month - 1]} {m.year}" for m in pd.to_datetime(mine.month_start)]
    # short headings: the table is narrow enough to be printed in two columns (the coach FTE, the
    # same all year, is in the description of the insats)
    active, waiting, passive, caseload = MONTHLY_COLUMNS
    frame = pd.DataFrame({
        active: mine.active_end.astype(int).to_numpy(),
        waiting: _count_or_none(reg.waiting_end),
        passive: _count_or_none(reg.status_passive_end),
        caseload: mine.active_per_coach_fte.to_numpy(),
    }, index=pd.Index(labels, name="Månadens slut")).astype({waiting: object, passive: object})
    monthly = table(f"{ins.insats_id}_manader_flode", f"{ins.name}: deltagare och kö månad för månad {year}",
                    frame, TableSpec(counts=[active, waiting, passive], derived={caseload: [active]}), t,
                    decimals=[caseload],
                    force_hidden=[(labels[-1], active)] if END_STOCK in forced and labels else [],
                    note="Aktiva deltagare, personer i kö och passiva vid varje månads slut, och aktiva per "
                         "årsarbetare jobbcoach. Kön läses ur alla registeruttag förbundet lämnat; passiva ur det "
                         "uttag som gjordes under månaden. En tom ruta betyder att inget uttag visar månaden. IPS "
                         "eftersträvar högst 20 deltagare per årsarbetare.")
    new, wait = NEW_ENTRIES, "Mediantid i kö för nya (dagar)"
    queued, left = "I kö vid årets slut", "Lämnat kön utan att börja"
    current, longest = "Mediantid i kö för dem som väntar (dagar)", "Längsta väntan hittills (dagar)"
    year_frame = pd.DataFrame({
        new: [int(summary_row["new"])], wait: [_number_or_none(queue.get("median_wait_days"))],
        queued: _count_or_none([queue.get("waiting_year_end")]), left: _count_or_none([queue.get("left_queue_without_start")]),
        current: [_number_or_none(queue.get("median_current_wait_days_year_end"))],
        longest: [_number_or_none(queue.get("max_current_wait_days_year_end"))],
    }, index=[str(year)]).astype({queued: object, left: object})
    yearly = table(f"{ins.insats_id}_arsflode", f"{ins.name}: kön under {year}", year_frame,
                   TableSpec(counts=[new, queued, left],
                             derived={wait: [new], current: [queued], longest: [queued]}), t,
                   force_hidden=[(str(year), new)] if NEW_ENTRIES in forced else [],
                   note="Väntetid = dagar från köanmälan till inskrivning; "
                        "för dem som väntar den 31 december dagar från köanmälan till dess. Lämnat kön utan att "
                        "börja: stod i kö i ett registeruttag och fanns inte med i nästa, utan att ha skrivits in. "
                        "En tom ruta betyder att registeruttagen inte täcker uppgiften.")
    charts = [
        Chart(title=f"Deltagare per årsarbetare jobbcoach – {ins.name}", kind="line", table=monthly,
              series={caseload: "Deltagare per årsarbetare"}, x_label="Månad", y_label="Deltagare per årsarbetare",
              # the goal mart_caseload_year judges the months against (the plan's, else IPS's 20)
              goal=caseload_goal, goal_label=f"Mål: högst {fmt_number(caseload_goal, 0 if caseload_goal.is_integer() else 1)} per årsarbetare"
              if caseload_goal is not None else "",
              alt_text=(f"Linjediagram: aktiva deltagare per årsarbetare jobbcoach vid varje månads slut {year} "
                        f"i {ins.name}. IPS eftersträvar högst 20.")),
    ]
    links.record(identity.suppressed, {(ins.insats_id, "new"): (NEW_ENTRIES, COUNT)})
    return [identity, yearly, monthly], charts


MONTHLY_COLUMNS = ("Aktiva", "I kö", "Passiva", "Per årsarbetare")
START_STOCK, NEW_ENTRIES = "Pågående vid årets början", "Nya under året"
ENDED_FLOW, END_STOCK = "Avslutade under året", "Pågående vid årets slut"
COUNT = "Antal"


def flow_identity(ins: Insats, mine: pd.DataFrame, year: int, t: int, persons: int) -> tuple[ReportTable, set[str]]:
    """Pågående vid årets början + nya − avslutade = pågående vid årets slut, as a small table of
    inskrivningar (episodes; mart_flows_month guarantees the identity month by month).

    Any three of the four give the fourth, so one hidden figure alone protects nothing: the
    identity goes to the suppression layer's audit (two sums through the hidden total of
    inskrivningar during the year) and, while it can work out a hidden figure, one more is hidden —
    first the start stock, which no other table shows. The returned rows hidden that way must be
    hidden where other tables show the same figure (the year's new, December's stock)."""
    values = {START_STOCK: int(mine.active_start.iloc[0]) if len(mine) else 0,
              NEW_ENTRIES: int(mine.new_entries.sum()), ENDED_FLOW: int(mine.ended.sum()),
              END_STOCK: int(mine.active_end.iloc[-1]) if len(mine) else 0}
    rows = list(values)
    cell = {r: (i, COUNT) for i, r in enumerate(rows)}
    through = (len(rows), COUNT)  # inskrivningar during the year, which no table shows
    sums = [Sum(through, (cell[START_STOCK], cell[NEW_ENTRIES])), Sum(through, (cell[ENDED_FLOW], cell[END_STOCK]))]
    hidden = {cell[r]: SMALL_KIND for r, v in values.items() if 1 <= v < t}
    hidden[through] = HIDDEN_KIND
    forced: list[str] = []

    def exposed() -> bool:
        known = {cell[r]: float(v) for r, v in values.items() if cell[r] not in hidden}
        found = exposed_cells(known, hidden, sums, t, big=10.0 * sum(values.values()) + 100 * t + 1000)
        return bool(set(found) - {through})  # the total during the year is no figure of the table

    # A 0 stays shown (zero may be); a figure hidden here is at least the threshold, as '..' says.
    candidates = [r for r in (START_STOCK, END_STOCK, ENDED_FLOW, NEW_ENTRIES) if values[r] >= t]
    while candidates and exposed():
        forced.append(candidates.pop(0))
        hidden[cell[forced[-1]]] = HIDDEN_KIND
    frame = pd.DataFrame({COUNT: list(values.values())}, index=pd.Index(rows, name="Inskrivningar"))
    note = ("Inskrivningar (en person som skrivits in två gånger räknas två gånger): pågående vid årets början + "
            "nya under året − avslutade under året = pågående vid årets slut. Pågående = inskriven och inte "
            "avslutad, aktiv eller passiv.")
    if values[START_STOCK] + values[NEW_ENTRIES] != persons:
        note += (" Deltagarna under året räknas som personer; några skrevs in på nytt under året eller deltog i "
                 "insatsen två gånger, så inskrivningarna är fler än deltagarna.")
    rt = table(f"{ins.insats_id}_flodesbalans", f"{ins.name}: inskrivningar under {year}", frame,
               TableSpec(counts=[COUNT]), t, force_hidden=[(r, COUNT) for r in forced], note=note)
    return rt, set(forced)


def active_status_tables(ins: Insats, status: pd.DataFrame, year: int, t: int):
    """The IPS process measure: work and studies among those enrolled at the year's end (four
    parts that add up to the enrolled), and the share in work at each month's end. December's
    'in work' is the sum of the first two parts: where either is hidden it is hidden too."""
    mine = status[status.insats_id == ins.insats_id].sort_values("month_start")
    if mine.empty:
        return [], [], ""
    last = mine.iloc[-1]
    known = not pd.isna(last.in_work)
    n = (lambda v: None if pd.isna(v) else int(v))
    P, sh = "Personer", "Andel"
    enrolled_end = f"Inskrivna vid årets slut ({month_label(last.month_start)})"
    parts = ("I arbete, inte studier", "I arbete och studier", "I studier, inte arbete", "Varken arbete eller studier")
    values = ([n(last.in_work) - n(last.in_work_and_studies), n(last.in_work_and_studies),
               n(last.in_studies) - n(last.in_work_and_studies), n(last.in_neither)] if known else [None] * 4)
    frame = pd.DataFrame({P: [*values, int(last.enrolled)]}, index=[*parts, enrolled_end], dtype=object)
    frame[sh] = [None if v is None else share(v, int(last.enrolled)) for v in frame[P]]
    year_end = None
    if known:
        year_end = table(f"{ins.insats_id}_inskrivnas_status",
                         f"{ins.name}: de inskrivnas försörjning vid årets slut", frame,
                         TableSpec(counts=[P], derived={sh: [P, (enrolled_end, P)]}, total_rows={enrolled_end: None}),
                         t, percent=[sh],
                         note="Inskrivna (aktiva eller passiva) den sista dagen i månaden och deras försörjning den "
                              "månaden enligt registren. Arbete räknas med eller utan lönestöd.")
    hidden_work = year_end is not None and any(year_end.suppressed.hidden.at[p, P] for p in parts[:2])
    labels = [month_label(m) for m in mine.month_start]
    enrolled, in_work, share_work = "Inskrivna", "I arbete (med eller utan lönestöd)", "Andel i arbete"
    monthly_frame = pd.DataFrame({enrolled: [int(v) for v in mine.enrolled], in_work: [n(v) for v in mine.in_work]},
                                 index=labels, dtype=object)
    monthly_frame[share_work] = [None if w is None else share(w, e) for e, w in zip(monthly_frame[enrolled],
                                                                                   monthly_frame[in_work])]
    monthly = table(f"{ins.insats_id}_inskrivna_arbete", f"{ins.name}: inskrivna i arbete månad för månad {year}",
                    monthly_frame, TableSpec(counts=[enrolled, in_work], derived={share_work: [in_work, enrolled]}), t,
                    percent=[share_work], force_hidden=[(labels[-1], in_work)] if hidden_work else [],
                    note="Inskrivna vid varje månads slut och hur många av dem som hade arbete den månaden. Tomt där "
                         "månaden ännu inte finns i alla leveranser.")
    m = monthly.suppressed.display
    if not known:
        text = (f"Vid årets slut var {fmt_count(m.at[labels[-1], enrolled])} inskrivna. Deras försörjning i "
                f"{labels[-1]} är ännu inte känd: månaden finns inte i alla leveranser.")
    elif monthly.suppressed.hidden.at[labels[-1], share_work]:
        text = (f"Vid årets slut var {fmt_count(m.at[labels[-1], enrolled])} inskrivna. Hur många av dem som hade "
                "arbete visas inte: gruppen är för liten för att visas utan att röja enskilda.")
    else:
        text = (f"Vid årets slut var {fmt_count(m.at[labels[-1], enrolled])} inskrivna, och "
                f"{fmt_share(m.at[labels[-1], share_work])} av dem ({fmt_count(m.at[labels[-1], in_work])}) hade "
                "arbete, med eller utan lönestöd, medan de fortfarande deltog i insatsen.")
    shares = [v for v in (shown_number(x) for x in m[share_work]) if v is not None]
    if known and len(shares) >= 2:
        text += (f" Vid månadsskiftena under året hade mellan {fmt_share(min(shares))} och {fmt_share(max(shares))} "
                 "av de inskrivna arbete.")
    # the month-by-month table only where the year's end is not known; the text gives the range over the months
    return [year_end] if year_end else [monthly], [], text


def trend_table(ins: Insats, trend: dict[str, pd.DataFrame], year: int, t: int, links: Links):
    """The insats year by year up to the evaluation year, and since its start. The year's own row
    repeats the summary's figures: what either hides, the other hides too (Links)."""
    mine = {k: v[v.insats_id == ins.insats_id].set_index("year") if "year" in v else v[v.insats_id == ins.insats_id]
            for k, v in trend.items()}
    # the years from the first with a participant, an inskrivning or an avslut (before it the data
    # spine has months but the insats had no one: rows of zeros tell the reader nothing)
    active = (set(mine["participants"].index[mine["participants"].persons > 0])
              | set(mine["flows"].index[mine["flows"].new_entries > 0]) | set(mine["outcomes"].index[mine["outcomes"].ended > 0]))
    years = list(range(min(active), year + 1)) if active else []
    if not years:
        return [], ""
    P, N, E, F, D, S = ("Deltagare", "Nya", "Avslut", "Kan följas upp vid avslut", "Till arbete, studier", "Andel")
    since = mine["since_start"]
    started = since.started_on.iloc[0] if len(since) else None
    first = since.first_entry_on.iloc[0] if len(since) else None
    # data that begin after the insats started cannot say 'since start': the row names the years it covers
    late = (first is not None and not pd.isna(first) and started is not None and not pd.isna(started)
            and pd.Timestamp(first) > pd.Timestamp(started) + pd.Timedelta(days=92))
    total = f"{pd.Timestamp(first).year}–{year}" if late else "Sedan start"

    def value(frame, y, column):
        return int(frame.at[y, column]) if y in frame.index and not pd.isna(frame.at[y, column]) else 0

    rows = {str(y): {P: value(mine["participants"], y, "persons"), N: value(mine["flows"], y, "new_entries"),
                     E: value(mine["outcomes"], y, "ended"), F: value(mine["outcomes"], y, "followable_after_exit"),
                     D: value(mine["outcomes"], y, "direct_work_or_studies")} for y in years}
    rows[total] = {P: int(since.participants_since_start.iloc[0]) if len(since) else None, N: None,
                   **{c: sum(r[c] for r in rows.values()) for c in (E, F, D)}}
    frame = pd.DataFrame.from_dict(rows, orient="index").astype(object)
    frame[S] = [None if not r[F] else share(r[D], r[F]) for r in frame.to_dict("records")]
    this_year = str(year)
    measures = {"active": P, "new": N, "ended": E, "followable_after_exit": F, "direct_work_or_studies": D}
    force = [(this_year, c) for m, c in measures.items() if links.must_force(ins.insats_id, m)]
    rt = table(f"{ins.insats_id}_ar_for_ar", f"{ins.name}: år för år och sedan start", frame,
               TableSpec(counts=[P, N, E, F, D], derived={S: [D, F]}, total_rows={total: None}, additive=[E, F, D]),
               t, percent=[S], force_hidden=force,
               note=f"Deltagare = personer inskrivna någon gång under året (sedan start: olika personer sedan första "
                    f"inskrivningen i data, till och med {year}). Avslut och utfall vid avslut per avslutsår; till "
                    "arbete eller studier enligt registren månaden efter avslut, av de avslut som kan följas dit.")
    links.record(rt.suppressed, {(ins.insats_id, m): (this_year, c) for m, c in measures.items()})
    twelve = twelve_month_series(ins, mine["outcomes"], years, year, t, links)
    d = rt.suppressed.display
    since_text = f"Under åren {total}" if late else "Sedan start"
    text = (f"Tabellen visar insatsen år för år{'' if started is None or pd.isna(started) else ' (den startade ' + str(pd.Timestamp(started).date()) + ')'}"
            f". {since_text} har {fmt_count(d.at[total, P])} personer deltagit och {fmt_count(d.at[total, E])} avslut skett."
            " Den andra tabellen visar för varje år läget 12 månader efter avslut för de avslut det årets "
            "utvärdering följer upp: avsluten året före.")
    if late:
        text += (f" Uppgifterna i underlaget börjar med inskrivningar från {pd.Timestamp(first).year}; tidigare deltagare "
                 "finns inte med.")
    return [rt, twelve], text


def twelve_month_series(ins: Insats, outcomes: pd.DataFrame, years: list[int], year: int, t: int,
                        links: Links) -> ReportTable:
    """The 12-month follow-up year by year: the row of evaluation year y is the exit cohort y − 1
    (cohorts.py), as each year's evaluation reads it. A cohort whose twelfth month is not in the
    data says so instead of 0; a year without exits the year before says that. The evaluation
    year's row is the follow-up table's 12-month row: what that hides, this hides (Links)."""
    F, S, A = "Kan följas upp 12 månader efter avslut", "I egen försörjning", "Andel"
    frame = pd.DataFrame(index=[f"{y} ({cohort_label(TWELVE_MONTHS.cohort(y))})" for y in years],
                         columns=[F, S], dtype=object)
    texts = {}
    for y, label in zip(years, frame.index):
        cohort = TWELVE_MONTHS.cohort(y)
        row = outcomes.loc[cohort] if cohort in outcomes.index else None
        if row is None or not row.ended:
            texts[(label, F)] = f"inga avslut {cohort} i data"
        elif not row.followable_12m:
            texts[(label, F)] = not_yet_followable(TWELVE_MONTHS, cohort, year)
        else:
            frame.loc[label] = [int(row.followable_12m), int(row.self_supporting_12m)]
    frame[A] = [None if pd.isna(f) else share(s, f) for f, s in zip(frame[F], frame[S])]
    this_year = frame.index[years.index(year)] if year in years else None
    measures = {"followable_12m": F, "self_supporting_12m": S}
    force = [(this_year, c) for m, c in measures.items() if this_year and links.must_force(ins.insats_id, m)]
    rt = table(f"{ins.insats_id}_ar_for_ar_12m", f"{ins.name}: läget 12 månader efter avslut, år för år", frame,
               TableSpec(counts=[F, S], derived={A: [S, F]}), t, percent=[A], force_hidden=force,
               note="Varje år visar de avslut som följs upp i det årets utvärdering: avsluten året före, vars 12 "
                    "månader efter avslut har gått till årets slut. Egen försörjning = arbete eller studier utan "
                    "ersättning vid ohälsa, arbetsmarknadsstöd eller ekonomiskt bistånd, 12 månader efter "
                    "avslutsmånaden. Kan följas upp = avslut vars tolfte månad finns i levererade data.")
    rt = ReportTable(key=rt.key, title=rt.title, suppressed=with_text(rt.suppressed, texts), note=rt.note,
                     percent_columns=rt.percent_columns)
    if this_year:
        links.record(rt.suppressed, {(ins.insats_id, m): (this_year, c) for m, c in measures.items()})
    return rt


REASONS = (("exit_work", "Arbete"), ("exit_subsidised_work", "Arbete med lönestöd"), ("exit_studies", "Studier"),
           ("exit_job_seeking", "Arbetssökande"), ("exit_sickness", "Sjukskrivning"),
           ("exit_deceased", "Avliden (följs inte upp)"), ("exit_other", "Annat (annan insats, flytt, avbrott m.m.)"))


def _figure(cohorts: dict[int, pd.Series], cohort: int, column: str) -> int:
    row = cohorts.get(cohort)
    return int(row.get(column, 0) or 0) if row is not None else 0


def _pending(cohorts: dict[int, pd.Series], follow_up: FollowUp, year: int) -> bool:
    """The cohort has exits but none can be followed this far yet: unknown, not 0."""
    cohort = follow_up.cohort(year)
    return _figure(cohorts, cohort, "ended") > 0 and _figure(cohorts, cohort, f"followable_{follow_up.suffix}") == 0


FOLLOWED = "Kan följas upp"  # avslut whose follow-up month is in the data ("följbara" in the marts)
FOLLOW_UP_ROWS = ((AT_EXIT, "Arbete eller studier månaden efter avslut", "direct_work_or_studies"),
                  (SIX_MONTHS, "Egen försörjning 6 månader efter avslut", "self_supporting_6m"),
                  (TWELVE_MONTHS, "Egen försörjning 12 månader efter avslut", "self_supporting_12m"),
                  (TWENTY_FOUR_MONTHS, "Egen försörjning 24 månader efter avslut", "self_supporting_24m"))


# Socialstyrelsen's categories of work and studies (mart_outcome_categories_year), in two groups that
# each have a subtotal shown: the subtotals are the follow-up table's figures (the followable, and at
# exit its "arbete eller studier"), so both tables declare the same sums.
WORK_OR_STUDIES_ROWS = (("arbete", "därav arbete utan lönestöd"), ("arbete_med_lonestod", "därav arbete med lönestöd"),
                        ("arbete_och_studier", "därav arbete och studier"), ("studier", "därav studier"))
NEITHER_ROWS = tuple((f"varken_{s}", f"därav {STATUS_SV[s][0].lower()}{STATUS_SV[s][1:]}")
                     for s in ("ohalsa", "arbetsmarknadsstod", "ekonomiskt_bistand", "ingen"))
WORK_OR_STUDIES, NEITHER, FOLLOWABLE = "Arbete eller studier", "Varken arbete eller studier", "Avslut som kan följas upp"
# short headings (the page is narrow); the title names each point's cohort in full
CATEGORY_POINTS = ((AT_EXIT, "vid avslut"), (SIX_MONTHS, "6 mån efter"), (TWELVE_MONTHS, "12 mån efter"),
                   (TWENTY_FOUR_MONTHS, "24 mån efter"))


def category_table(ins: Insats, cohorts: dict[int, pd.Series], categories: pd.DataFrame, year: int, t: int,
                   links: Links) -> ReportTable:
    """Arbete, studier, both or neither (and why neither) at exit and 6/12/24 months after, each
    point for its cohort (a column per point). Built before the follow-up table, which shows the
    same followable and, at exit, the same work or studies: what this one hides, that one hides
    too (Links). No earlier table holds these figures, so nothing is forced here."""
    mine = categories[categories.insats_id == ins.insats_id]
    columns, pending, rows = [], {}, [WORK_OR_STUDIES, *(lab for _, lab in WORK_OR_STUDIES_ROWS),
                                      NEITHER, *(lab for _, lab in NEITHER_ROWS), FOLLOWABLE]
    frame = pd.DataFrame(index=rows, dtype=object)
    for follow_up, label in CATEGORY_POINTS:
        cohort = follow_up.cohort(year)
        column = f"{cohort}: {label}"
        columns.append(column)
        if _pending(cohorts, follow_up, year):
            frame[column] = None
            pending[(FOLLOWABLE, column)] = not_yet_followable(follow_up, cohort, year)
            continue
        point = mine[(mine.follow_up == follow_up.suffix) & (mine.exit_year == cohort)].set_index("category")
        n = (lambda c: int(point.at[c, "episodes"]) if c in point.index else 0)  # no row: no episode
        work = [n(c) for c, _ in WORK_OR_STUDIES_ROWS]
        neither = [n(c) for c, _ in NEITHER_ROWS]
        frame[column] = [sum(work), *work, sum(neither), *neither,
                         _figure(cohorts, cohort, f"followable_{follow_up.suffix}")]
    spec = TableSpec(counts=columns, total_rows={
        WORK_OR_STUDIES: [lab for _, lab in WORK_OR_STUDIES_ROWS], NEITHER: [lab for _, lab in NEITHER_ROWS],
        FOLLOWABLE: [WORK_OR_STUDIES, NEITHER]})
    rt = table(f"{ins.insats_id}_arbete_studier",
               f"{ins.name}: arbete och studier vid och efter avslut ({cohort_label(AT_EXIT.cohort(year))} vid "
               f"avslut, {cohort_label(SIX_MONTHS.cohort(year))} 6 och 12 månader efter, "
               f"{cohort_label(TWENTY_FOUR_MONTHS.cohort(year))} 24 månader efter)", frame, spec, t,
               note=f"Antal avslut, med data till och med december {year}. Varje kolumn gäller de avslut som kan följas "
                    "dit (samma avslutsår som i uppföljningstabellen). Kategorierna följer Socialstyrelsens: arbete "
                    "med lönestöd visas för sig, arbete och studier samma månad räknas en gång, studier = "
                    "studiemedel från CSN eller ett arbetsmarknadsprogram som är studier. Varken arbete eller "
                    "studier delas efter månadens försörjning.")
    rt = ReportTable(key=rt.key, title=rt.title, suppressed=with_text(rt.suppressed, pending), note=rt.note)
    linked = {(ins.insats_id, f"followable_{f.suffix}"): (FOLLOWABLE, c) for (f, _), c in zip(CATEGORY_POINTS, columns)}
    # A 0 beside a small total is hidden here only so that the labels cannot be solved; the follow-up
    # table shows that 0 beside the same '<5' (it declares no sums), so forcing it hidden elsewhere
    # would protect nothing (and would leave a lone hidden 0 in the year-by-year table's sums).
    direct, followable = frame.at[WORK_OR_STUDIES, columns[0]], frame.at[FOLLOWABLE, columns[0]]
    if not (direct == 0 and followable is not None and followable < t):
        linked[(ins.insats_id, "direct_work_or_studies")] = (WORK_OR_STUDIES, columns[0])
    links.record(rt.suppressed, linked)
    return rt


def outcome_tables(ins: Insats, cohorts: dict[int, pd.Series], categories: pd.DataFrame, year: int, t: int,
                   links: Links):
    """Reported exit reasons of the year's exits, the registers at exit and 6/12/24 months after
    (each for the exit cohort that can be followed that far by the year's end, cohorts.py), and the
    same points by work and studies. Returns [reasons, follow-up, categories]."""
    this_year = AT_EXIT.cohort(year)
    g = (lambda k: _figure(cohorts, this_year, k))
    ended = g("ended")
    col, sh = "Avslutade", "Andel"
    frame = pd.DataFrame({col: [g(k) for k, _ in REASONS] + [ended]}, index=[s for _, s in REASONS] + [TOTAL])
    frame[sh] = [share(v, ended) for v in frame[col]]
    reasons = table(f"{ins.insats_id}_avslutsorsak", f"{ins.name}: {cohort_label(this_year)} efter rapporterad avslutsorsak",
                    frame, TableSpec(counts=[col], derived={sh: [col, (TOTAL, col)]}, total_rows={TOTAL: None}), t,
                    note=f"Avslut under {this_year} efter den orsak insatsen rapporterat. Den som avslutats som "
                         "avliden följs inte upp; felregistreringar räknas inte alls.", percent=[sh])
    links.record(reasons.suppressed, {
        (ins.insats_id, "ended"): (TOTAL, col),
        **{(ins.insats_id, k): (s, col) for k, s in REASONS},
    })
    fol, res, sh2 = FOLLOWED, "Med utfallet", "Andel"
    rows, pending = [], {}
    for follow_up, label, outcome in FOLLOW_UP_ROWS:
        cohort = follow_up.cohort(year)
        row_label = f"{label} ({cohort_label(cohort)})"
        if _pending(cohorts, follow_up, year):
            pending[(row_label, fol)] = not_yet_followable(follow_up, cohort, year)
            rows.append((row_label, None, None))
        else:
            rows.append((row_label, _figure(cohorts, cohort, f"followable_{follow_up.suffix}"),
                         _figure(cohorts, cohort, outcome)))
    ff = pd.DataFrame({fol: [d for _, d, _ in rows], res: [n for _, _, n in rows]}, index=[r for r, _, _ in rows],
                      dtype=object)
    ff[sh2] = [None if d is None else share(n, d) for _, d, n in rows]
    categories_table = category_table(ins, cohorts, categories, year, t, links)
    # the categories' subtotals hidden as '..' are hidden here too (a '<5' is hidden here anyway)
    force = [(label, c) for (label, _, _), (follow_up, _, outcome) in zip(rows, FOLLOW_UP_ROWS)
             for m, c in ((f"followable_{follow_up.suffix}", fol), (outcome, res)) if links.must_force(ins.insats_id, m)]
    follow = table(f"{ins.insats_id}_uppfoljning",
                   f"{ins.name}: utfall vid avslut och 6, 12 och 24 månader efter, per avslutsår",
                   ff, TableSpec(counts=[fol, res], derived={sh2: [res, fol]}), t, percent=[sh2], force_hidden=force,
                   note=f"Enligt registren, med data till och med december {year}. Varje uppföljning gäller de "
                        "avslut vars uppföljningsmånad hunnit passera: utfallet vid avslut för årets avslut, 6 och 12 "
                        "månader efter för förra årets, 24 månader efter för avsluten två år tidigare. Kan följas upp = "
                        "avslut vars uppföljningsmånad finns i levererade data; de andra ingår inte i andelen. Egen "
                        "försörjning = arbete eller studier utan ersättning vid ohälsa, arbetsmarknadsstöd eller "
                        "ekonomiskt bistånd.")
    follow = ReportTable(key=follow.key, title=follow.title, suppressed=with_text(follow.suppressed, pending),
                         note=follow.note, percent_columns=follow.percent_columns)
    links.record(follow.suppressed, {
        (ins.insats_id, m): (label, c) for (label, _, _), (follow_up, _, outcome) in zip(rows, FOLLOW_UP_ROWS)
        for m, c in ((f"followable_{follow_up.suffix}", fol), (outcome, res))
    })
    return [reasons, follow, categories_table], []


SECTORS_SV = (("PRIVAT", "Privat arbetsgivare"), ("KOMMUN", "Kommun"), ("REGION", "Region"), ("STAT", "Staten"),
              ("IDEELL", "Ideell organisation"))
UNSUBSIDISED, SUBSIDISED, PERSONS = "Utan lönestöd", "Med lönestöd", "Personer"


def jobs_table(ins: Insats, jobs: pd.DataFrame, categories: ReportTable, year: int, t: int) -> tuple[list[ReportTable], str]:
    """The jobs people got: persons in work the month after exit (the year's exits), by the
    employer's sector and with or without lönestöd (mart_jobs_sector_year).

    Its total is (per person rather than per avslut) the work in the work-and-studies table's
    first column. Where that table hides part of the work, the split by lönestöd is left out and
    the total hidden with the smallest sector, so the total cannot fill in what that table hides."""
    cohort = AT_EXIT.cohort(year)
    mine = jobs[jobs.insats_id == ins.insats_id]
    if mine.empty or not int(mine.persons.sum()):
        return [], (f"Ingen av dem som {cohort_label(cohort)} och kan följas hade arbete månaden efter avslut enligt "
                    "Skatteverkets uppgifter.")
    n = (lambda sector, subsidised: int(mine[(mine.employer_sector == sector)
                                             & (mine.is_subsidised_work == subsidised)].persons.sum()))
    # a sector where nobody got work has no row (a line of zeros leaves secondary suppression no cell)
    sectors = [(c, label) for c, label in SECTORS_SV if n(c, False) + n(c, True)]
    labels = [label for _, label in sectors]
    first = categories.suppressed.display.columns[0]
    work_rows = [WORK_OR_STUDIES, *(label for c, label in WORK_OR_STUDIES_ROWS if c != "studier")]
    split_safe = not any(categories.suppressed.hidden.at[r, first] for r in work_rows)
    note = (f"Personer som {cohort_label(cohort)} och hade arbete månaden efter avslutsmånaden, efter "
            "arbetsgivarens sektor enligt Skatteverkets arbetsgivardeklarationer och lönestöd enligt "
            "Arbetsförmedlingen; sektorer där ingen fick arbete visas inte. Varje person räknas en gång: med lön "
            "från två sektorer samma månad där lönen var högst, med två avslut under året det senare.")
    rt = None
    if split_safe:
        frame = pd.DataFrame({UNSUBSIDISED: [n(c, False) for c, _ in sectors],
                              SUBSIDISED: [n(c, True) for c, _ in sectors]}, index=labels)
        frame.loc[TOTAL] = frame.sum()
        frame[TOTAL] = frame[UNSUBSIDISED] + frame[SUBSIDISED]
        frame.index.name = "Arbetsgivarens sektor"
        spec = TableSpec(counts=[UNSUBSIDISED, SUBSIDISED, TOTAL], total_columns={TOTAL: [UNSUBSIDISED, SUBSIDISED]},
                         total_rows={TOTAL: None})
        try:
            rt = table(f"{ins.insats_id}_arbeten", f"{ins.name}: arbeten efter avslut, {cohort_label(cohort)}", frame,
                       spec, t, note=note)
        except RuntimeError:  # too few spread over too many cells: no pattern protects them, so no split
            split_safe = False
    if rt is None:
        frame = pd.DataFrame({PERSONS: [n(c, False) + n(c, True) for c, _ in sectors]}, index=labels)
        frame.loc[TOTAL] = frame[PERSONS].sum()
        frame.index.name = "Arbetsgivarens sektor"
        shown = [r for r in labels if frame.at[r, PERSONS] >= t]
        smallest = min(shown, key=lambda r: frame.at[r, PERSONS]) if shown else None
        # a total below the threshold is hidden as small anyway, with every part of it
        force = [(TOTAL, PERSONS)] + ([(smallest, PERSONS)] if smallest else []) if frame.at[TOTAL, PERSONS] >= t else []
        rt = table(f"{ins.insats_id}_arbeten", f"{ins.name}: arbeten efter avslut, {cohort_label(cohort)}", frame,
                   TableSpec(counts=[PERSONS], total_rows={TOTAL: None}), t, force_hidden=force,
                   note=note + " Uppdelningen på lönestöd och summan visas inte: de skulle kunna röja enskilda i "
                               "tabellen över arbete och studier.")
    d = rt.suppressed.display
    total = d.at[TOTAL, TOTAL if split_safe else PERSONS]
    column = TOTAL if split_safe else PERSONS
    text = (f"Av dem som {cohort_label(cohort)} hade {fmt_count(total)} personer arbete månaden efter avslut."
            if shown_number(total) is not None else
            f"Tabellen visar hos vilka arbetsgivare de som {cohort_label(cohort)} fick arbete, månaden efter avslut.")
    # the largest sector is named only when no hidden cell ('..') could be larger
    if not any(d.at[r, column] == HIDDEN for r in labels):
        biggest = max(labels, key=lambda r: shown_number(d.at[r, column]) or -1)
        if (shown_number(d.at[biggest, column]) or 0) >= t:
            text += f" Flest arbetade hos {SECTORS_PLURAL_SV[biggest]}."
    return [rt], text


SECTORS_PLURAL_SV = {"Privat arbetsgivare": "privata arbetsgivare", "Kommun": "kommuner", "Region": "regioner",
                     "Staten": "staten", "Ideell organisation": "ideella organisationer"}


def support_tables(ins: Insats, out: pd.Series | None, cohort: int, t: int):
    """Public support per payer and helårsekvivalenter, 12 months before inskrivning vs after exit,
    for the exit cohort whose 12 months after exit have passed (`out`: its mart_outcomes_year row)."""
    o = out if out is not None else pd.Series(dtype=object)
    n = int(o.get("episodes_with_complete_windows", 0) or 0)
    if n == 0:  # sums over nobody are no figures: the caller says why there is no comparison
        return [], []
    base, before, after = "Underlag (avslut)", "Före (kr)", "Efter (kr)"
    payers = (("fk", "Försäkringskassan"), ("af", "Arbetsförmedlingens budget"), ("kommun", "Kommunen (ekonomiskt bistånd)"))
    frame = pd.DataFrame({
        base: [n] * 4,
        before: [float(o.get(f"support_{k}_sek_before", 0) or 0) for k, _ in payers] + [0.0],
        after: [float(o.get(f"support_{k}_sek_after", 0) or 0) for k, _ in payers] + [0.0],
    }, index=[s for _, s in payers] + [TOTAL])
    frame.loc[TOTAL, before] = frame[before].iloc[:3].sum()
    frame.loc[TOTAL, after] = frame[after].iloc[:3].sum()
    sek = table(f"{ins.insats_id}_stod_fore_efter",
                f"{ins.name}: offentlig försörjning före och efter, {cohort_label(cohort)}",
                frame, TableSpec(counts=[base], derived={before: [base], after: [base]},
                                 total_rows={TOTAL: [s for _, s in payers]}, additive=[before, after]), t,
                sek=[before, after],
                note="Summa kronor under de 12 månaderna före inskrivning och de 12 månaderna efter avslut, för "
                     f"avslut under {cohort} där båda perioderna finns i data. Arbetsförmedlingens budget = "
                     "aktivitetsstöd, utvecklings- och etableringsersättning (utbetalas av FK). A-kassa levereras "
                     "inte och ingår inte.")
    hb, ha, hd = "Helårsekvivalenter före", "Helårsekvivalenter efter", "Förändring"
    fte_b, fte_a = float(o.get("support_fte_before", 0) or 0), float(o.get("support_fte_after", 0) or 0)
    hf = pd.DataFrame({base: [n], hb: [round(fte_b, 1)], ha: [round(fte_a, 1)], hd: [round(fte_a - fte_b, 1)]},
                      index=[ins.name])
    fte = table(f"{ins.insats_id}_helarsekv", f"{ins.name}: helårsekvivalenter före och efter, {cohort_label(cohort)}", hf,
                TableSpec(counts=[base], derived={hb: [base], ha: [base], hd: [base]}), t, decimals=[hb, ha, hd],
                note="Helårsekvivalenter (som SCB:s försörjningsmått): FK-dagar × omfattning / 365 och "
                     "ekonomiskt bistånd 1/12 per månad, högst 1 per person och period.")
    return [sek, fte], []


def transition_table(ins: Insats, trans: pd.DataFrame, cohort: int, t: int):
    mine = trans[trans.insats_id == ins.insats_id]
    used = [s for s in STATUS_ORDER if s in set(mine.status_before) | set(mine.status_after)]
    if not used:
        return [], []
    grid = pd.DataFrame(0, index=[STATUS_SV[s] for s in used], columns=[STATUS_SV[s] for s in used], dtype=int)
    for r in mine.itertuples():
        grid.loc[STATUS_SV[r.status_before], STATUS_SV[r.status_after]] += int(r.episodes)
    cols = list(grid.columns)
    grid[TOTAL] = grid[cols].sum(axis=1)
    grid.loc[TOTAL] = grid.sum(axis=0)
    grid.index.name = "Före \\ 12 månader efter"
    spec = TableSpec(counts=[*cols, TOTAL], total_columns={TOTAL: cols}, total_rows={TOTAL: None})
    try:
        rt = table(f"{ins.insats_id}_overgangar",
                   f"{ins.name}: försörjning före och 12 månader efter, {cohort_label(cohort)}", grid, spec, t,
                   note=f"Avslut under {cohort}: försörjning månaden före inskrivning (rader) och 12 månader efter "
                        "avslutsmånaden (kolumner). Bara avslut där båda är kända ingår.")
    except RuntimeError:
        # Too few episodes spread over too many cells: no suppression pattern protects them all,
        # so the matrix is left out (the caller says so in the text).
        return [], []
    return [rt], []


def time_to_work_table(ins: Insats, ttw: pd.DataFrame, t: int):
    """Kaplan–Meier share in work at checkpoints. Month by month the curve's steps would give the
    number who found work each month away; at a few checkpoints they are not exact counts."""
    mine = ttw[ttw.insats_id == ins.insats_id].set_index("month_since_entry")
    points = [m for m in FOLLOW_UP_CHECKPOINTS if m in mine.index]
    if not points:
        return [], []
    month, risk, inwork = "Månader sedan inskrivning", "Följda utan arbete hittills", "Andel som fått arbete"
    frame = pd.DataFrame({
        month: points,
        risk: [int(mine.at[m, "at_risk"]) for m in points],
        inwork: [float(mine.at[m, "share_in_work"]) for m in points],
    }, index=[f"{m} mån" for m in points])
    rt = table(f"{ins.insats_id}_tid_arbete", f"{ins.name}: tid till första arbete", frame,
               TableSpec(counts=[risk], derived={inwork: [risk]}), t, percent=[inwork],
               note="Kaplan–Meier-skattning från inskrivningsmånaden (månad 0), alla inskrivningar i data till och "
                    "med årets slut. Deltagarna följs också efter avslut, till årets slut, slutet av levererade data "
                    "eller dödsfall. Följda = deltagare som ännu "
                    "inte fått arbete och fortfarande följs vid tidpunkten. Arbete med lönestöd räknas.")
    already = "Antal"
    beside = table(f"{ins.insats_id}_redan_arbete", f"{ins.name}: redan i arbete före inskrivning",
                   pd.DataFrame({already: [int(mine["working_before_entry"].iloc[0])]},
                                index=["I arbete månaden före inskrivning (ingår inte i kurvan)"]),
                   TableSpec(counts=[already]), t,
                   note="Deras första arbete kom inte efter att insatsen började, så de ingår inte i kurvan.")
    chart = Chart(title=f"Andel som fått arbete efter inskrivning – {ins.name}", kind="step", table=rt,
                  series={inwork: "Andel som fått arbete"}, x=month, percent=True,
                  x_label="Månader sedan inskrivning", y_label="Andel",
                  alt_text=(f"Trappstegsdiagram: skattad andel av deltagarna i {ins.name} som fått sitt första arbete "
                            "vid olika antal månader efter inskrivning."))
    return [rt, beside], [chart]


# The bands in the wording Swedish fidelity reviews use (domain brief §5, IPS-25)
FIDELITY_BANDS = ((115, "stämmer mycket bra överens med IPS"), (100, "stämmer bra överens med IPS"),
                  (74, "stämmer delvis överens med IPS"), (0, "stämmer inte överens med IPS"))
STRENGTH_SCORE, DEVELOPMENT_MAX_SCORE = 5, 3  # an item at 5 is a strength, at 3 or lower a development area


def fidelity_band(score: int) -> str:
    return next(label for floor, label in FIDELITY_BANDS if score >= floor)


def _named(items: list[str]) -> str:
    """'a', 'a och b', 'a, b och c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " och " + items[-1]


def fidelity_tables(ins: Insats, fid: pd.DataFrame, year: int, t: int, items: pd.DataFrame):
    """The latest IPS-25 review: its total and band, and when the reviewer scored the items, each
    item by name (seed ips25_items) with the strengths (5) and development areas (3 or lower) named
    in the text. Scores of a review are no counts of persons: nothing to suppress."""
    mine = fid[fid.insats_id == ins.insats_id]
    if mine.empty:
        return [], [], "Ingen granskning av programtrohet (IPS-25) har rapporterats för insatsen."
    latest = mine.iloc[0]
    score = int(latest.total_score)
    reviewed = pd.Timestamp(latest.reviewed_on).date().isoformat()
    text = (f"Den senaste granskningen av programtrohet ({reviewed}) gav {score} av 125 poäng: insatsen "
            f"{fidelity_band(score)}.")
    columns = [f"item_{i:02d}" for i in range(1, 26)]
    if not latest[columns].notna().all():
        frame = pd.DataFrame({"Granskningsdatum": [reviewed], "Totalpoäng (25–125)": [score],
                              "Bedömning": [fidelity_band(score)]}, index=["Senaste granskning"])
        return [table(f"{ins.insats_id}_programtrohet", f"{ins.name}: programtrohet (IPS-25), {reviewed}", frame,
                      TableSpec(counts=[]), t, note=FIDELITY_NOTE)], [], \
            text + " Granskaren rapporterade bara totalpoängen, inte poängen per punkt."
    names = items.set_index("item")
    scores = {i: int(latest[f"item_{i:02d}"]) for i in range(1, 26)}
    # one narrow column of scores under the three areas' names (rows without a score), so that the
    # printed report can set the 25 items in two columns
    rows: dict[str, int | None] = {}
    for i, v in scores.items():
        if i == 1 or names.at[i, "area"] != names.at[i - 1, "area"]:
            rows[names.at[i, "area"]] = None
        rows[f"{i}. {names.at[i, 'item_name']}"] = v
    rows["Totalpoäng (25–125)"] = score
    frame = pd.DataFrame({"Poäng (1–5)": list(rows.values())}, index=pd.Index(list(rows), name="Punkt"),
                         dtype=object)
    rt = table(f"{ins.insats_id}_programtrohet", f"{ins.name}: programtrohet (IPS-25) per punkt, {reviewed}", frame,
               TableSpec(counts=[]), t, note=FIDELITY_NOTE)
    strengths = [names.at[i, "item_name"].lower() for i, v in scores.items() if v >= STRENGTH_SCORE]
    development = [f"{names.at[i, 'item_name'].lower()} ({v})" for i, v in scores.items() if v <= DEVELOPMENT_MAX_SCORE]
    text += (f" Styrkor (punkter med full poäng, 5): {_named(strengths)}." if strengths else
             " Ingen punkt fick full poäng (5).")
    text += (f" Utvecklingsområden (punkter med 3 poäng eller lägre): {_named(development)}." if development else
             " Ingen punkt fick 3 poäng eller lägre.")
    return [rt], [], text


FIDELITY_NOTE = ("IPS-25 har 25 punkter som vardera ges 1–5 poäng, högst 125: bemanning (3 punkter), organisation (8) "
                 "och tjänster (14). 115–125 poäng: stämmer mycket bra överens med IPS; 100–114: stämmer bra överens; "
                 "74–99: stämmer delvis överens; 73 eller lägre: stämmer inte överens med IPS.")


def participants_text(ins: Insats, tables: list[ReportTable], left_out: list[str]) -> str:
    if not tables:
        return "Deltagarna kan inte beskrivas närmare utan att röja enskilda."
    first = tables[0].suppressed.display
    parts = [f"Under året deltog {fmt_count(first.at[TOTAL, P])} personer i {ins.name}."]
    if "Kvinnor" in first.index:
        parts.append(f"Av dem var {fmt_count(first.at['Kvinnor', P])} kvinnor ({fmt_share(first.at['Kvinnor', A])}).")
    if left_out:
        parts.append("Fördelningen efter " + ", ".join(x.lower() for x in left_out) + " visas inte: den skulle "
                     "kunna röja enskilda.")
    return " ".join(parts)


def outcomes_text(ins: Insats, cohorts: dict[int, pd.Series], tables: list[ReportTable], year: int, t: int) -> str:
    """Outcomes are counted per avslut (a person can end twice), so the text says avslut."""
    r = tables[0].suppressed.display
    f = tables[1].suppressed.display
    first, twelve = f.index[0], f.index[2]
    at_exit, after = AT_EXIT.cohort(year), TWELVE_MONTHS.cohort(year)
    parts = [f"Insatsen hade {fmt_count(r.at[TOTAL, 'Avslutade'])} avslut under {at_exit}."]
    if _pending(cohorts, AT_EXIT, year):
        parts.append(f"Avsluten {at_exit} kan inte följas till månaden efter avslut: "
                     f"{why_not_followable(AT_EXIT, at_exit, year)}.")
    else:
        parts.append(f"Av avsluten {at_exit} som kan följas var {fmt_share(f.at[first, 'Andel'])} i arbete eller "
                     f"studier månaden efter avslut ({fmt_count(f.at[first, 'Med utfallet'])} av "
                     f"{fmt_count(f.at[first, FOLLOWED])}).")
    if _pending(cohorts, TWELVE_MONTHS, year):
        parts.append(f"Avsluten {after} kan inte följas ett år efter avslut: "
                     f"{why_not_followable(TWELVE_MONTHS, after, year)}.")
    else:
        parts.append(f"Av avsluten {after} var {fmt_share(f.at[twelve, 'Andel'])} i egen försörjning ett år efter "
                     f"avslut ({fmt_count(f.at[twelve, 'Med utfallet'])} av {fmt_count(f.at[twelve, FOLLOWED])}).")
    parts.append(f"<{t} betyder färre än {t} och .. att uppgiften döljs för att skydda enskilda.")
    return " ".join(parts)


def flows_text(ins: Insats, tables: list[ReportTable]) -> str:
    b = tables[0].suppressed.display[COUNT]
    y = tables[1].suppressed.display.iloc[0]
    m = tables[2].suppressed.display
    last = m.iloc[-1] if len(m) else None
    text = (f"Vid årets början pågick {fmt_count(b[START_STOCK])} inskrivningar. Under året kom "
            f"{fmt_count(b[NEW_ENTRIES])} nya inskrivningar och {fmt_count(b[ENDED_FLOW])} avslut, och vid årets slut "
            f"pågick {fmt_count(b[END_STOCK])}. Mediantiden i kö för de nya var "
            f"{fmt_number(y['Mediantid i kö för nya (dagar)'], 0)} dagar.")
    queued = y["I kö vid årets slut"]
    if shown_number(queued) == 0:
        text += " Vid årets slut stod ingen i kö."
    elif shown_number(queued) is not None:
        text += (f" Vid årets slut stod {fmt_count(queued)} i kö; de hade väntat "
                 f"{fmt_number(y['Mediantid i kö för dem som väntar (dagar)'], 0)} dagar i median och som längst "
                 f"{fmt_number(y['Längsta väntan hittills (dagar)'], 0)} dagar.")
    elif not is_missing(queued):
        text += f" Vid årets slut stod {fmt_count(queued)} i kö."
    left = y["Lämnat kön utan att börja"]
    if shown_number(left) == 0:
        text += " Ingen lämnade kön under året utan att börja."
    elif not is_missing(left):
        left_text = fmt_count(left)
        text += f" {left_text[:1].upper()}{left_text[1:]} lämnade kön under året utan att börja."
    if last is not None:
        active, _, passive, caseload = MONTHLY_COLUMNS
        text += (f" Vid årets sista månad var {fmt_count(last[active])} deltagare aktiva, "
                 f"{fmt_number(last[caseload])} deltagare per årsarbetare jobbcoach (IPS: högst 20)")
        if not is_missing(last[passive]):
            text += f"; {fmt_count(last[passive])} var passiva (vilande)"
        text += "."
    return text


def month_label(ts) -> str:
    ts = pd.Timestamp(ts)
    return f"{MONTHS_SV[ts.month - 1]} {ts.year}"
