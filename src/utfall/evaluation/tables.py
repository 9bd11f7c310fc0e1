"""The evaluation table builder: the content of one förbund's annual report (issue 5, domain
brief §5), as a `Report` whose every table has passed the suppression layer.

    build_report(paths, forbund_id, year, gate_run_id) -> Report

Order of building matters for privacy: a figure shown in two tables (an insats's ended count in
its outcome table and in the summary) must be hidden in both if either hides it. So the insats
sections are built first, recording what they hide (`Links`), and the summary and the national
comparison are built after them with those cells forced hidden. The förbund's totals (the
summary's first table, and its row in the national comparison) are sums of insats figures shown
elsewhere: each is hidden whenever showing it would let a reader work out a hidden insats figure
(`Links.sum_exposes`), and a cost per person is hidden with the count it divides by.

The goal verdicts and the conclusions (conclusions.py) are computed from display values only,
after the tables they read are suppressed, so they tell a reader nothing the tables do not.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal

import pandas as pd

from utfall import __version__
from utfall.dq.cohorts import AT_EXIT, TWELVE_MONTH_COHORT, TWELVE_MONTHS, cohort_label
from utfall.db.config import Paths
from utfall.evaluation import tables_data as data
from utfall.evaluation.comments import comments_sections
from utfall.evaluation.report_model import Chart, Report, ReportTable, Section
from utfall.evaluation.render_format import is_missing, is_number
from utfall.evaluation.conclusions import (
    GOAL_TABLE, Conclusion, GoalFigure, caseload_rule, change_rule, fidelity_rule, goals_rule, judge_caseload,
    judge_occupation, judge_share, national_rule, select,
)
from utfall.evaluation.tables_common import (
    Links, fmt_number, fmt_share, share, suppress_table, table, with_column, with_text,
)
from utfall.evaluation.tables_insats import (
    MONTHLY_COLUMNS, active_status_tables, description_table, fidelity_band, fidelity_tables, flow_tables, flows_text, jobs_table,
    outcome_tables, outcomes_text, participant_tables, trend_table,
    participants_text, support_tables, time_to_work_table, transition_table,
)
from utfall.evaluation.provenance import SincePrevious
from utfall.evaluation.tables_method import method_section, missing_deliveries_text
from utfall.evaluation.tables_socio import socioeconomic_section
from utfall.db.connection import connect_warehouse
from utfall.evaluation.socioeconomic import Parameters, Result, calculate, default_parameters
from utfall.evaluation.suppression import HIDDEN, Reason, Suppressed, TableSpec, resolve_threshold


def build_report(paths: Paths, forbund_id: str, year: int, gate_run_id: str, threshold: int | None = None,
                 generated_at: datetime | None = None, since_previous: SincePrevious | None = None) -> Report:
    """The report's content; reads the warehouse read-only. threshold: default the seed parameter.
    since_previous: the months changed since the year's previous evaluation (evaluation.provenance)."""
    t = resolve_threshold(threshold)
    con = connect_warehouse(paths, read_only=True)
    try:
        insatser = data.active_insatser(con, forbund_id, year)
        src = {
            "participants": data.participants(con, forbund_id, year),
            "flows": data.flows(con, forbund_id, year),
            "trend": data.trend(con, forbund_id, year),
            "active_status": data.active_status(con, forbund_id, year),
            "outcomes": data.outcomes(con, forbund_id, year),
            "categories": data.outcome_categories(con, forbund_id, year),
            "jobs": data.jobs(con, forbund_id, AT_EXIT.cohort(year)),
            "transitions": data.transitions(con, forbund_id, TWELVE_MONTH_COHORT.cohort(year)),
            "ttw": data.time_to_work(con, forbund_id, year),
            "national": data.national(con, year),
            "national_12m": data.national(con, TWELVE_MONTHS.cohort(year)),
            "goals": data.goals(con, forbund_id, year),
            "caseload": data.caseload(con, forbund_id, year),
            "fidelity": data.fidelity(con, forbund_id, year),
            "ips25_items": data.ips25_items(con),
            "descriptions": data.descriptions(con, forbund_id, year),
            "queue": data.queue_by_insats(con, forbund_id, year, t),
            "register_months": data.register_months(con, forbund_id, year),
            "socio": data.socioeconomic(con, forbund_id, year),
            "missing_feeds": data.missing_monthly_feeds(con, year),
        }
        name = data.forbund_name(con, forbund_id)
        method = method_section(con, forbund_id, year, gate_run_id, t, since_previous)
    finally:
        con.close()
    comments = comments_sections(paths, forbund_id, year, t)  # the förbund's own words, before the method

    links = Links()
    keys = _key_figures(insatser, src, year)
    sections = []
    for ins in insatser:
        sections.append(_insats_section(ins, src, keys.loc[ins.insats_id], year, t, links))
    _record_year_end(insatser, sections, links)
    labels = {i.insats_id: i.name for i in insatser}
    goal_table, goal_conclusions = _goal_table(insatser, keys, src["goals"], src["caseload"], labels, year, t, links)
    # the summary's per-insats table records its cells before the förbund totals and riket use them
    summary = _summary_section(insatser, keys, src, name, year, t, links, forbund_id, goal_table)
    national = _national_section(insatser, src, forbund_id, name, year, t, links)
    conclusions = _conclusions(insatser, goal_conclusions, sections, src, year, national)
    summary = Section(key=summary.key, title=summary.title,
                      paragraphs=_with_conclusions(summary.paragraphs, conclusions), tables=summary.tables,
                      charts=summary.charts, subsections=[*summary.subsections, national])
    return Report(
        forbund_id=forbund_id, forbund_name=name, year=year, gate_run_id=gate_run_id,
        sections=[summary, *sections, _conclusions_section(conclusions), *comments, method],
        generated_at=(generated_at or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        software_version=__version__, suppression_threshold=t,
    )


def _socioeconomic(ins, socio: pd.DataFrame, cohort: pd.Series | None, year: int, t: int) -> Section:
    """The insats's row of mart_socioeconomic_year for the evaluation year (its exit cohort the
    year before); without one (no insats_ar row and nobody counted) the calculation over nobody,
    cost unknown. `cohort`: that cohort's row of mart_outcomes_year (how many ended and can be followed)."""
    exit_year = TWELVE_MONTH_COHORT.cohort(year)
    ended = int(cohort["ended"]) if cohort is not None else 0
    followable = int(cohort["followable_12m"]) if cohort is not None else 0
    mine = socio[socio.insats_id == ins.insats_id]
    if len(mine):
        row = mine.iloc[0].to_dict()
        return socioeconomic_section(ins, Result.from_row(row), Parameters.from_row(row),
                                     int(row["persons_work"]), int(row["persons_studies"]), t,
                                     exit_year=exit_year, ended=ended, followable=followable,
                                     cost_known=not is_missing(row["cost_sek"]))
    params = replace(default_parameters(), cost=Decimal(0))
    return socioeconomic_section(ins, calculate([], params), params, 0, 0, t,
                                 exit_year=exit_year, ended=ended, followable=followable, cost_known=False)


def _key_figures(insatser, src, year: int) -> pd.DataFrame:
    """Per insats the raw key figures from the marts (engineers' side; suppressed before use)."""
    part, flows, out = src["participants"], src["flows"], src["outcomes"]
    rows = {}
    for ins in insatser:
        tot = part[(part.insats_id == ins.insats_id) & (part.dimension == "total")]
        f = flows[flows.insats_id == ins.insats_id].sort_values("month_start")
        # the year's own exits (the cohort at exit)
        o = out[(out.insats_id == ins.insats_id) & (out.exit_year == AT_EXIT.cohort(year))]
        g = (lambda c: int(o[c].iloc[0]) if len(o) else 0)
        rows[ins.insats_id] = {
            "active": int(tot.persons.iloc[0]) if len(tot) else 0,
            "new": int(f.new_entries.sum()), "ended_flow": int(f.ended.sum()),
            "active_start": int(f.active_start.iloc[0]) if len(f) else 0,
            "active_end": int(f.active_end.iloc[-1]) if len(f) else 0,
            "coach_fte": f.coach_fte.iloc[-1] if len(f) else None,
            "ended": g("ended"), "followable_after_exit": g("followable_after_exit"),
            "direct_work_or_studies": g("direct_work_or_studies"),
            "to_work": g("exit_work") + g("exit_subsidised_work"), "to_studies": g("exit_studies"),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


CATEGORIES_TEXT = ("Tabellen över arbete och studier räknar som Socialstyrelsen: arbete (med lönestöd för sig), "
                   "studier, arbete och studier samma månad, och varken arbete eller studier uppdelat efter "
                   "försörjningen den månaden. Varje kolumn gäller samma avslutsår som uppföljningen ovan.")


def _insats_section(ins, src, key, year: int, t: int, links: Links) -> Section:
    mine = src["outcomes"][src["outcomes"].insats_id == ins.insats_id]
    cohorts = {int(r.exit_year): r for _, r in mine.iterrows()}
    twelve = cohorts.get(TWELVE_MONTH_COHORT.cohort(year))
    p_tables, p_charts, p_left_out = participant_tables(ins, src["participants"], t, links)
    load = src["caseload"][src["caseload"].insats_id == ins.insats_id]
    goal = load.goal_participants_per_coach.iloc[0] if len(load) else None
    f_tables, f_charts = flow_tables(ins, src["flows"], src["register_months"], year, t,
                                     src["queue"].get(ins.insats_id, {}), key, links, int(key.active),
                                     caseload_goal=None if goal is None or pd.isna(goal) else float(goal))
    a_tables, a_charts, a_text = active_status_tables(ins, src["active_status"], year, t)
    o_tables, o_charts = outcome_tables(ins, cohorts, src["categories"], year, t, links)
    j_tables, j_text = jobs_table(ins, src["jobs"], o_tables[2], year, t)
    s_tables, s_charts = support_tables(ins, twelve, TWELVE_MONTH_COHORT.cohort(year), t)
    tr_tables, _ = transition_table(ins, src["transitions"], TWELVE_MONTH_COHORT.cohort(year), t)
    k_tables, k_charts = time_to_work_table(ins, src["ttw"], t)
    fi_tables, fi_charts, fi_text = fidelity_tables(ins, src["fidelity"], year, t, src["ips25_items"])
    socio = _socioeconomic(ins, src["socio"], twelve, year, t)
    tr_trend, trend_text = trend_table(ins, src["trend"], year, t, links)
    subs = [
        Section(f"{ins.insats_id}_deltagare", "Deltagare", [participants_text(ins, p_tables, p_left_out)], p_tables, p_charts),
        Section(f"{ins.insats_id}_floden", "Flöden, kö och personalresurser", [flows_text(ins, f_tables)],
                f_tables, f_charts),
        Section(f"{ins.insats_id}_inskrivna", "De inskrivnas arbete och studier",
                [a_text] if a_text else [], a_tables, a_charts),
        Section(f"{ins.insats_id}_utfall", "Utfall vid och efter avslut",
                [outcomes_text(ins, cohorts, o_tables, year, t), CATEGORIES_TEXT], o_tables, o_charts),
        Section(f"{ins.insats_id}_arbeten", "Arbeten efter avslut", [j_text], j_tables),
        Section(f"{ins.insats_id}_fore_efter", "Offentlig försörjning före och efter",
                [f"Offentlig försörjning under de 12 månaderna före inskrivning jämförs med de 12 månaderna efter "
                 f"avslut, för samma personer: de som {cohort_label(TWELVE_MONTH_COHORT.cohort(year))}, vars "
                 f"12 månader efter avslut har hunnit gå." if s_tables else
                 f"Offentlig försörjning före och efter kan ännu inte jämföras: inga av dem som "
                 f"{cohort_label(TWELVE_MONTH_COHORT.cohort(year))} har både de 12 månaderna före inskrivning och "
                 f"de 12 månaderna efter avslut i levererade data.",
                 "Övergångstabellen visar försörjningen före och ett år efter." if tr_tables else
                 "Övergångarna mellan försörjning före och ett år efter visas inte: avsluten är för få för att "
                 "fördelas på försörjningsformer utan att röja enskilda."], s_tables + tr_tables, s_charts),
        Section(f"{ins.insats_id}_tid_arbete", "Tid till första arbete",
                ["Kurvan visar hur stor andel av deltagarna som fått sitt första arbete (med eller utan lönestöd) "
                 "ett visst antal månader efter inskrivningsmånaden, under insatsen eller efter avslut. Var och en "
                 "följs till årets slut, eller till dödsfall (Kaplan–Meier). Den som redan arbetade "
                 "månaden före inskrivning ingår inte i kurvan och redovisas för sig."],
                k_tables, k_charts),
        socio,
        Section(f"{ins.insats_id}_sedan_start", "År för år och sedan start", [trend_text] if trend_text else [],
                tr_trend, []),
        Section(f"{ins.insats_id}_programtrohet", "Programtrohet (IPS-25)", [fi_text], fi_tables, fi_charts),
    ]
    return Section(key=f"insats_{ins.insats_id}", title=f"{ins.name}",
                   tables=[description_table(ins, src["descriptions"], year, t)], subsections=subs)


# --- summary -----------------------------------------------------------------------------

ACT, NEW, END, FOL, DIR, SH = ("Deltagare under året", "Nya", "Avslutade", "Avslut som kan följas upp månaden efter",
                               "Till arbete eller studier", "Andel till arbete eller studier")
NUMBER_WORDS = ("ingen", "en", "två", "tre", "fyra", "fem", "sex", "sju", "åtta", "nio", "tio")


def _insatser_phrase(insatser) -> str:
    """'en insats: IPS Göteborg' / 'två insatser: IPS Göteborg och Steget' (no 'hade 1 insatser')."""
    n = len(insatser)
    count = NUMBER_WORDS[n] if n < len(NUMBER_WORDS) else str(n)
    names = [i.name for i in insatser]
    listed = names[0] if n == 1 else f"{', '.join(names[:-1])} och {names[-1]}"
    return f"{count} {'insats' if n == 1 else 'insatser'}" + (f": {listed}" if n else "")


def _summary_section(insatser, keys: pd.DataFrame, src, name: str, year: int, t: int, links: Links,
                     forbund_id: str, goal_table: ReportTable) -> Section:
    """Pages 1–2: the förbund's totals, the goal table and the key figures per insats (the
    conclusions are added by `_with_conclusions` once every table is built)."""
    labels = {i.insats_id: i.name for i in insatser}
    idx = [labels[i.insats_id] for i in insatser]
    k = keys.reindex([i.insats_id for i in insatser])
    frame = pd.DataFrame({
        ACT: k.active.to_numpy() if len(k) else [], NEW: k.new.to_numpy() if len(k) else [],
        END: k.ended.to_numpy() if len(k) else [], FOL: k.followable_after_exit.to_numpy() if len(k) else [],
        DIR: k.direct_work_or_studies.to_numpy() if len(k) else [],
    }, index=idx)
    frame[SH] = [share(d, f) for d, f in zip(frame[DIR], frame[FOL])]
    force = []
    for ins in insatser:
        lab = labels[ins.insats_id]
        for measure, col in (("active", ACT), ("new", NEW), ("ended", END), ("followable_after_exit", FOL),
                             ("direct_work_or_studies", DIR)):
            if links.must_force(ins.insats_id, measure):
                force.append((lab, col))
    key_table = table("nyckeltal", f"Nyckeltal per insats {year}", frame,
                      TableSpec(counts=[ACT, NEW, END, FOL, DIR], derived={SH: [DIR, FOL]}), t,
                      percent=[SH], force_hidden=force,
                      note=f"Deltagare under året = personer som varit inskrivna någon gång under {year}. Nya och "
                           f"avslutade = inskrivningar och avslut under {year} (räknade per avslut). Till arbete eller "
                           f"studier = enligt registren månaden efter avslut, av de avslut som kan följas upp dit "
                           "(jämför SUS, Samordningsförbundens uppföljningssystem: nationellt ungefär en tredjedel).")
    for ins in insatser:
        links.record(key_table.suppressed, {(ins.insats_id, m): (labels[ins.insats_id], c) for m, c in
                                            (("active", ACT), ("new", NEW), ("ended", END),
                                             ("followable_after_exit", FOL), ("direct_work_or_studies", DIR))})
    totals = _forbund_totals(insatser, keys, src, forbund_id, year, t, links)
    intro = f"{name} hade under {year} deltagare i {_insatser_phrase(insatser)}."
    missing = missing_deliveries_text(src["missing_feeds"], year)
    return Section(key="sammanfattning", title="Sammanfattning", paragraphs=[intro, *filter(None, [missing])],
                   tables=[totals, goal_table, key_table])


def _with_conclusions(paragraphs: list[str], conclusions: list[Conclusion]) -> list[str]:
    lead = ("Slutsatserna nedan följer av rapportens tabeller enligt fasta regler (se avsnittet Metod och "
            "datakvalitet); varje mening anger den tabell den bygger på." if conclusions else
            "Årets siffror räcker inte för några slutsatser enligt rapportens regler.")
    return [*paragraphs, lead, *(c.text for c in conclusions)]


def _conclusions_section(conclusions: list[Conclusion]) -> Section:
    """The closing section: the same conclusions, after the insatser they are drawn from."""
    return Section(key="slutsatser", title="Slutsatser", paragraphs=[
        "Slutsatserna bygger på tabellerna i rapporten och följer fasta regler, som beskrivs i avsnittet Metod och "
        "datakvalitet. Där en uppgift är dold för att skydda enskilda dras ingen slutsats av den, utom när "
        "målet kan bedömas ändå (se Måluppfyllelse).",
        *(c.text for c in conclusions)] if conclusions else [
        "Årets siffror räcker inte för några slutsatser enligt rapportens regler: målen kan inte bedömas, "
        "eller uppgifterna är dolda för att skydda enskilda."])


# The förbund's totals (one line of figures); shown as a column of measures with their cohort.
T_ACT, T_NEW, T_END, T_START, T_STOP = ("Deltagare under året", "Nya under året", "Avslutade under året",
                                        "Pågående vid årets början", "Pågående vid årets slut")
T_FOL, T_DIR, T_DSH = ("Avslut som kan följas upp månaden efter", "Till arbete eller studier månaden efter avslut",
                       "Andel till arbete eller studier")
T_F12, T_S12, T_SSH = ("Avslut som kan följas upp 12 månader efter", "I egen försörjning 12 månader efter avslut",
                       "Andel i egen försörjning")
T_WORK, T_WSH = "I arbete under inskrivningen", "Andel av pågående vid årets slut"
T_COST, T_PER_ACT, T_PER_DIR = ("Total kostnad", "Kostnad per deltagare", "Kostnad per person till arbete eller studier")
# the year's stocks and flows: start + new − ended = end, so one hidden figure would follow from the others
IDENTITY = (T_START, T_NEW, T_END, T_STOP)


# The insats tables that show a figure the förbund totals sum: active at the year's end is the
# last row (December) of the monthly table; in work while enrolled then is the sum of the first
# two parts of the year-end status table (in work without studies, in work and studies).
ACTIVE_END = ("_manader_flode", MONTHLY_COLUMNS[0])
IN_WORK_END = ("_inskrivnas_status", "Personer", ("I arbete, inte studier", "I arbete och studier"))


def _record_year_end(insatser, sections: list[Section], links: Links) -> None:
    """Record in `links` what each insats section shows for December (hidden or not), so that the
    förbund totals hide a sum that would give a hidden one away. A table or column not found
    counts as hidden: the total is then not shown rather than shown unchecked."""
    by_key = {t.key: t for s in sections for t in s.all_tables()}
    for ins in insatser:
        i = ins.insats_id
        rt = by_key.get(f"{i}{ACTIVE_END[0]}")
        if rt is None or ACTIVE_END[1] not in rt.suppressed.display.columns or not len(rt.suppressed.display):
            links.hidden[(i, "active_end")] = HIDDEN
        else:
            links.record(rt.suppressed, {(i, "active_end"): (rt.suppressed.display.index[-1], ACTIVE_END[1])})
        suffix, column, parts = IN_WORK_END
        rt = by_key.get(f"{i}{suffix}")
        sup = rt.suppressed if rt is not None else None
        if sup is None or column not in sup.display.columns or not all(p in sup.display.index for p in parts) \
                or any(sup.hidden.at[p, column] for p in parts):
            links.hidden[(i, "in_work_end")] = HIDDEN
        else:
            links.shown[(i, "in_work_end")] = float(sum(float(sup.display.at[p, column]) for p in parts))


def _forbund_totals(insatser, keys: pd.DataFrame, src, forbund_id: str, year: int, t: int,
                    links: Links) -> ReportTable:
    """The förbund's figures for the year, summed over its insatser (participants: distinct persons,
    from mart_national_year). Suppressed as one line (counts, shares from their counts, cost per
    person hidden with its denominator), then shown one measure per row.

    A total of insats figures shown elsewhere is hidden whenever one of them is hidden there and
    the total would give it away (`Links.sum_exposes`); the stocks at the year's start and end,
    whose insats figures the monthly tables hide only when small, are hidden whenever one insats's
    is small. Of start, new, ended and end either all are shown or none."""
    ids = [i.insats_id for i in insatser]
    k = keys.reindex(ids)
    nat = src["national"].set_index("forbund_id")
    exit_12m = TWELVE_MONTH_COHORT.cohort(year)
    out = src["outcomes"]
    o12 = out[(out.insats_id.isin(ids)) & (out.exit_year == exit_12m)]
    goals = src["goals"].set_index("insats_id").reindex(ids)
    costs = [None if pd.isna(c) else float(c) for c in goals.get("cost_sek", pd.Series(index=ids, dtype=float))]
    cost = None if not ids or any(c is None for c in costs) else sum(costs)  # unknown, not 0, when one is missing
    active = int(nat.at[forbund_id, "participants_active"]) if forbund_id in nat.index else 0
    status = src["active_status"]
    december = status[status.insats_id.isin(ids)].sort_values("month_start").groupby("insats_id").tail(1)
    # in work at the year's end: unknown (not 0) when December is not yet in every delivery
    in_work = (None if len(december) < len(ids) or december.in_work.isna().any() else int(december.in_work.sum()))
    direct = int(k.direct_work_or_studies.sum())
    values = {
        T_ACT: active, T_NEW: int(k.new.sum()), T_END: int(k.ended.sum()),
        T_START: int(k.active_start.sum()), T_STOP: int(k.active_end.sum()),
        T_FOL: int(k.followable_after_exit.sum()), T_DIR: direct,
        T_F12: int(o12.followable_12m.sum()), T_S12: int(o12.self_supporting_12m.sum()),
        T_WORK: in_work, T_COST: cost,
        T_PER_ACT: None if cost is None or not active else cost / active,
        T_PER_DIR: None if cost is None or not direct else cost / direct,
    }
    frame = pd.DataFrame([values], index=["Förbundet"]).astype(object)
    frame[T_DSH] = [share(values[T_DIR], values[T_FOL])]
    frame[T_SSH] = [share(values[T_S12], values[T_F12])]
    frame[T_WSH] = [None if in_work is None else share(in_work, values[T_STOP])]
    counts = [T_ACT, T_NEW, T_END, T_START, T_STOP, T_FOL, T_DIR, T_F12, T_S12, T_WORK]
    spec = TableSpec(counts=counts, derived={T_DSH: [T_DIR, T_FOL], T_SSH: [T_S12, T_F12], T_WSH: [T_WORK, T_STOP],
                                             T_PER_ACT: [T_ACT], T_PER_DIR: [T_DIR]})
    force = [col for col, measure in ((T_ACT, "active"), (T_NEW, "new"), (T_END, "ended"),
                                      (T_FOL, "followable_after_exit"), (T_DIR, "direct_work_or_studies"),
                                      (T_F12, "followable_12m"), (T_S12, "self_supporting_12m"))
             if links.sum_exposes(ids, measure, values[col], t)]
    # no insats table shows the stock at the year's start: hidden when one insats's is small
    if any(1 <= int(v) < t for v in k.active_start) or any(links.is_hidden(i, "active_start") for i in ids):
        force.append(T_START)
    force += [col for col, measure in ((T_STOP, "active_end"), (T_WORK, "in_work_end"))
              if values[col] is not None and links.sum_exposes(ids, measure, values[col], t)]
    sup = suppress_table(frame, spec, t, [("Förbundet", c) for c in force])
    if any(sup.hidden.at["Förbundet", c] for c in IDENTITY):
        sup = suppress_table(frame, spec, t, [("Förbundet", c) for c in {*force, *IDENTITY}])
    d = sup.display.iloc[0]
    r = sup.reasons.iloc[0]
    N, S, K, A = "Antal", "Andel", "Kronor", "Avser"
    rows = {  # measure -> (count column, share column, kronor column, what it is about)
        T_ACT: (T_ACT, None, None, f"inskrivna någon gång {year}"),
        T_NEW: (T_NEW, None, None, f"inskrivningar {year}"),
        T_END: (T_END, None, None, f"avslut {year}"),
        T_START: (T_START, None, None, f"1 januari {year}"),
        T_STOP: (T_STOP, None, None, f"31 december {year}"),
        T_FOL: (T_FOL, None, None, cohort_label(year)),
        T_DIR: (T_DIR, T_DSH, None, f"{cohort_label(year)}, andel av raden ovan"),
        T_F12: (T_F12, None, None, cohort_label(exit_12m)),
        T_S12: (T_S12, T_SSH, None, f"{cohort_label(exit_12m)}, andel av raden ovan"),
        T_WORK: (T_WORK, T_WSH, None, f"31 december {year}, andel av pågående" if in_work is not None else
                 f"december {year} finns inte i alla leveranser"),
        T_COST: (None, None, T_COST, f"rapporterad av förbundet för {year}"),
        T_PER_ACT: (None, None, T_PER_ACT, "kostnad / deltagare under året"),
        T_PER_DIR: (None, None, T_PER_DIR, "kostnad / till arbete eller studier"),
    }
    display = pd.DataFrame(index=list(rows), columns=[N, S, K, A], dtype=object)
    reasons = pd.DataFrame(Reason.SHOWN, index=list(rows), columns=[N, S, K, A], dtype=object)
    for row, (nc, sc, kc, about) in rows.items():
        for col, src_col in ((N, nc), (S, sc), (K, kc)):
            if src_col is not None:
                display.at[row, col] = None if is_missing(d[src_col]) else d[src_col]
                reasons.at[row, col] = r[src_col]
        display.at[row, A] = about
    fidelity = _fidelity_rows(insatser, src["fidelity"])
    for row, about in fidelity.items():
        display.loc[row] = [None, None, None, about]
        reasons.loc[row] = [Reason.SHOWN] * 4
    for col in display.columns:  # an empty cell is None, never NaN (as suppress_table leaves it)
        display[col] = pd.Series([None if is_missing(v) else v for v in display[col]], index=display.index,
                                 dtype=object)
    vertical = Suppressed(display=display, reasons=reasons, spec=TableSpec(counts=[N], name="forbund_totalt"),
                          threshold=t)
    return ReportTable(
        key="forbund_totalt", title=f"Förbundets insatser sammantaget {year}", suppressed=vertical,
        percent_columns=(S,), sek_columns=(K,),
        note=("Summan av förbundets insatser; en person som deltagit i två insatser räknas en gång bland deltagarna. "
              "Programtroheten är den senaste granskningen; datum och poäng per punkt finns under insatsen. "
              "Pågående vid årets början + nya − avslutade = pågående vid årets slut (en person som skrivits in "
              "igen räknas vid varje inskrivning). Kostnaden är den förbundet rapporterat per insats; den saknas "
              "om någon insats inte rapporterat sin."))


def _fidelity_rows(insatser, fid: pd.DataFrame) -> dict[str, str]:
    """Per insats with an IPS-25 review: its latest score and band, for the totals table."""
    out = {}
    for ins in insatser:
        mine = fid[fid.insats_id == ins.insats_id]
        if len(mine):
            latest = mine.iloc[0]
            score = int(latest.total_score)
            out[f"Programtrohet {ins.name}"] = f"{score} av 125 poäng (IPS-25): {fidelity_band(score)}"
    return out


# the goal table's columns and goals (the row label is '<insats>: <goal>')
G_END, G_NUM, G_VALUE, G_GOAL, G_VERDICT = "Avslut", "Antal", "Utfall", "Mål", "Bedömning"
GOAL_WORK, GOAL_STUDIES, GOAL_OCCUPATION, GOAL_CASELOAD = ("arbete", "studier", "sysselsättning",
                                                           "deltagare per årsarbetare")


def _goal_table(insatser, keys, goals: pd.DataFrame, caseload: pd.DataFrame, labels, year: int, t: int,
                links: Links) -> tuple[ReportTable, list[Conclusion]]:
    """Goal attainment against the förbund's plan: one row per insats and goal, with utfall, mål and
    the verdict (conclusions.py) in colour, symbol and words. Share goals by reported exit reason
    of the year's exits; the caseload over the whole year (months above the goal,
    mart_caseload_year), not on December alone. Returns the table and the conclusions it gives."""
    g = goals.set_index("insats_id")
    c = caseload.set_index("insats_id")
    rows, force, texts, judged, loads = {}, [], {}, {}, {}
    for ins in insatser:
        k = keys.loc[ins.insats_id]
        gg = g.loc[ins.insats_id] if ins.insats_id in g.index else pd.Series(dtype=object)
        lab, i = labels[ins.insats_id], ins.insats_id
        work, studies = f"{lab}: {GOAL_WORK}", f"{lab}: {GOAL_STUDIES}"
        rows[work] = {G_END: int(k.ended), G_NUM: int(k.to_work), G_VALUE: share(k.to_work, k.ended),
                      G_GOAL: gg.get("goal_share_work")}
        rows[studies] = {G_END: int(k.ended), G_NUM: int(k.to_studies), G_VALUE: share(k.to_studies, k.ended),
                         G_GOAL: gg.get("goal_share_studies")}
        if links.must_force(i, "ended"):
            force += [(work, G_END), (studies, G_END)]
        # 'arbete' = the reasons table's arbete + arbete med lönestöd: hidden if either is hidden
        # there, or the other one could be worked out from it
        if links.is_hidden(i, "exit_work") or links.is_hidden(i, "exit_subsidised_work"):
            force.append((work, G_NUM))
        if links.must_force(i, "exit_studies"):
            force.append((studies, G_NUM))
        occupation = gg.get("goal_share_occupation")
        if occupation is not None and not is_missing(occupation):
            rows[f"{lab}: {GOAL_OCCUPATION}"] = {G_GOAL: occupation}
            judged[f"{lab}: {GOAL_OCCUPATION}"] = judge_occupation(occupation)
        cc = c.loc[i] if i in c.index else pd.Series({"months_judged": 0, "months_above_goal": 0})
        months, above = int(cc.months_judged), int(cc.months_above_goal)
        goal_n = cc.get("goal_participants_per_coach", gg.get("goal_participants_per_coach"))
        goal_text = "" if goal_n is None or is_missing(goal_n) else f"högst {fmt_number(goal_n, 0 if float(goal_n).is_integer() else 1)}"
        load = f"{lab}: {GOAL_CASELOAD}"
        rows[load] = {G_GOAL: goal_text or None}
        if months:
            texts[(load, G_VALUE)] = f"{above} av {months} mån."  # months above the goal (the note says so)
        judged[load] = judge_caseload(above, months, goal_n)
        loads[i] = (above, months, goal_text)
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=[G_END, G_NUM, G_VALUE, G_GOAL]).astype(object)
    spec = TableSpec(counts=[G_END, G_NUM], derived={G_VALUE: [G_NUM, G_END]})
    rt = table("maluppfyllelse", f"{GOAL_TABLE} {year}", frame, spec, t, percent=[G_VALUE, G_GOAL],
               force_hidden=force,
               note="Arbete och studier: andelar av årets avslut efter den avslutsorsak insatsen rapporterat (arbete "
                    "inklusive arbete med lönestöd). Deltagare per årsarbetare jobbcoach bedöms vid varje månads slut: "
                    "utfallet är antalet månader (mån.) över målet. "
                    "Målen är förbundets egna för insatsen. Målet för sysselsättning (t.ex. arbetsträning eller "
                    "daglig verksamhet) kan inte följas upp: ingen avslutsorsak och inget levererat register anger "
                    "sysselsättning. Hur bedömningen görs beskrivs i avsnittet Metod och datakvalitet.")
    sup = with_text(rt.suppressed, texts)
    d = sup.display
    figures: dict[str, list[GoalFigure]] = {}
    for ins in insatser:
        lab, i = labels[ins.insats_id], ins.insats_id
        for goal, parts in ((GOAL_WORK, ("exit_work", "exit_subsidised_work")), (GOAL_STUDIES, ("exit_studies",))):
            row = f"{lab}: {goal}"
            j = judge_share([links.display(i, p) for p in parts], d.at[row, G_END], d.at[row, G_GOAL], t,
                            shown_total=d.at[row, G_NUM])
            judged[row] = j
            if d.at[row, G_GOAL] is not None:
                figures.setdefault(lab, []).append(GoalFigure(
                    goal, fmt_share(d.at[row, G_VALUE]) if is_number(d.at[row, G_VALUE]) else "",
                    fmt_share(d.at[row, G_GOAL]), j))
    sup = with_column(sup, G_VERDICT, {r: j.text for r, j in judged.items()})
    out = ReportTable(key=rt.key, title=rt.title, suppressed=sup, note=rt.note, percent_columns=rt.percent_columns)
    goal_rules = [goals_rule(labels[i.insats_id], figures.get(labels[i.insats_id], []), year) for i in insatser]
    caseload_rules = [caseload_rule(labels[i], *loads[i]) for i in loads]
    return out, [*goal_rules, *caseload_rules]


def _conclusions(insatser, goal_conclusions: list[Conclusion | None], sections: list[Section], src, year: int,
                 national: Section) -> list[Conclusion]:
    """The report's conclusions in rule order (conclusions.py): goals met or not, caseload above
    its goal, change against last year, fidelity, self-support against riket, caseload held."""
    by_key = {t.key: t for s in sections for t in s.all_tables()}
    n = len(insatser)
    goals, loads = goal_conclusions[:n], goal_conclusions[n:]
    above = [c for c in loads if c is not None and "fler deltagare" in c.text]
    held = [c for c in loads if c is not None and "fler deltagare" not in c.text]
    changes, fidelity = [], []
    for ins in insatser:
        trend = by_key.get(f"{ins.insats_id}_ar_for_ar")
        if trend is not None:
            d = trend.suppressed.display
            this, last = str(year), str(year - 1)
            if this in d.index and last in d.index and "Andel" in d.columns:
                changes.append(change_rule(ins.name, d.at[this, "Andel"], d.at[last, "Andel"], year, trend.title))
        review = by_key.get(f"{ins.insats_id}_programtrohet")
        mine = src["fidelity"][src["fidelity"].insats_id == ins.insats_id]
        if review is not None and len(mine):
            score = int(mine.iloc[0].total_score)
            fidelity.append(fidelity_rule(ins.name, score, fidelity_band(score),
                                          pd.Timestamp(mine.iloc[0].reviewed_on).date().isoformat(), review.title))
    riket = []
    for t in national.tables:
        d = t.suppressed.display
        col = NAT_SHARES[1][0]
        if col in d.columns and "Riket" in d.index and len(d.index):
            riket.append(national_rule(d.iloc[0][col], d.at["Riket", col], TWELVE_MONTHS.cohort(year), t.title))
    return select([*goals, *above, *changes, *fidelity, *riket, *held])


# --- national comparison -------------------------------------------------------------------

NAT = (("participants_active", "Aktiva deltagare", "active"), ("new_entries", "Nya", "new"),
       ("ended", "Avslutade", "ended"), ("followable_after_exit", "Kan följas upp månaden efter avslut", "followable_after_exit"),
       ("direct_work_or_studies", "Till arbete eller studier", "direct_work_or_studies"),
       ("followable_12m", "Kan följas upp 12 månader efter (förra årets avslut)", "followable_12m"),
       ("self_supporting_12m", "Egen försörjning 12 månader efter (förra årets avslut)", "self_supporting_12m"))
# The 12-month figures are the exit cohort of the year before (cohorts.py): mart_national_year's
# row of that year, whose outcome columns are by exit year.
NAT_12M = ("followable_12m", "self_supporting_12m")
NAT_SHARES = (("Andel till arbete eller studier", "Till arbete eller studier", "Kan följas upp månaden efter avslut"),
              ("Andel egen försörjning 12 månader efter (förra årets avslut)",
               "Egen försörjning 12 månader efter (förra årets avslut)", "Kan följas upp 12 månader efter (förra årets avslut)"))


# Riket minus one förbund is the others' sum: with fewer than two others, that is one other
# förbund's figures, which its own report may hide. Then no comparison is shown.
MIN_OTHER_FORBUND = 2


def _national_section(insatser, src, forbund_id: str, name: str, year: int, t: int, links: Links) -> Section:
    nat = src["national"].set_index("forbund_id")
    nat12 = src["national_12m"].set_index("forbund_id")
    others = [f for f in nat.index if f not in ("riket", forbund_id)]
    if len(others) < MIN_OTHER_FORBUND:
        return Section(key="jamforelse_riket", title="Förbundet jämfört med riket", paragraphs=[
            f"Jämförelse med riket kan ännu inte redovisas: underlaget har uppgifter från {len(others) + 1} "
            f"förbund, och minst {MIN_OTHER_FORBUND + 1} behövs för att inget annat enskilt förbunds siffror ska gå "
            "att räkna ut."])
    OTHER, RIKET = "Övriga förbund", "Riket"
    rows = {}
    for label, key in ((name, forbund_id), (RIKET, "riket")):
        rows[label] = {}
        for c, col, _ in NAT:
            frame_of = nat12 if c in NAT_12M else nat
            base = frame_of.loc[key] if key in frame_of.index else None
            rows[label][col] = int(base[c]) if base is not None and not pd.isna(base[c]) else 0
    rows[OTHER] = {col: rows[RIKET][col] - rows[name][col] for _, col, _ in NAT}
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex([name, OTHER, RIKET])
    for sh, num, den in NAT_SHARES:
        frame[sh] = [share(a, b) for a, b in zip(frame[num], frame[den])]
    # The förbund's row is the sum of its insatser, shown in the summary and the sections: where one of
    # them is hidden the förbund's figure is hidden too, and with it riket (riket − övriga = förbund).
    # Where the other förbund's figure is small, riket is hidden too (förbund + övriga = riket).
    force = []
    ids = [i.insats_id for i in insatser]
    for c, col, measure in NAT:
        # The förbund figure read as the sum of its insatser. For active persons it is the distinct
        # count (a person in two insatser once), which is not exactly that sum: when the labels do not
        # fit, sum_exposes answers True and the figure is hidden.
        if links.sum_exposes(ids, measure, rows[name][col], t):
            force += [(name, col), (RIKET, col)]
        elif 1 <= rows[OTHER][col] < t:
            force.append((RIKET, col))
    counts = [col for _, col, _ in NAT]
    spec = TableSpec(counts=counts, derived={sh: [num, den] for sh, num, den in NAT_SHARES},
                     total_rows={RIKET: [name, OTHER]})
    rt = table("jamforelse_riket", f"{name} jämfört med riket {year}", frame, spec, t,
               percent=[s for s, _, _ in NAT_SHARES], force_hidden=force,
               note="Riket = summan av alla förbund i Utfall (en person aktiv i två förbund räknas två gånger). "
                    "Övriga förbund = riket minus förbundet. Andelarna räknas om från summorna. Avslutade och "
                    f"utfallet månaden efter avslut gäller avsluten {year}; egen försörjning 12 månader efter "
                    f"gäller avsluten {TWELVE_MONTHS.cohort(year)}, vars år efter avslut har hunnit gå.")
    d = rt.suppressed.display
    sh0 = NAT_SHARES[0][0]
    text = (f"Av förbundets avslut som kan följas upp gick {fmt_share(d.at[name, sh0])} direkt till arbete eller studier, "
            f"mot {fmt_share(d.at[RIKET, sh0])} i riket.")
    chart = Chart(title=f"Förbundet jämfört med riket {year}", kind="bar", table=rt,
                  series={s: s for s, _, _ in NAT_SHARES}, rows=(name, RIKET), percent=True, y_label="Andel",
                  alt_text=(f"Stapeldiagram: andel till arbete eller studier efter avslut och andel i egen försörjning "
                            f"12 månader efter, för {name} och för riket {year}."))
    return Section(key="jamforelse_riket", title="Förbundet jämfört med riket", paragraphs=[text], tables=[rt],
                   charts=[chart])
