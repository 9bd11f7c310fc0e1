"""The evaluation table builder: the content of one förbund's annual report (issue 5, domain
brief §5), as a `Report` whose every table has passed the suppression layer.

    build_report(paths, forbund_id, year, gate_run_id) -> Report

Order of building matters for privacy: a figure shown in two tables (an insats's ended count in
its outcome table and in the summary) must be hidden in both if either hides it. So the insats
sections are built first, recording what they hide (`Links`), and the summary and the national
comparison are built after them with those cells forced hidden. The summary has no förbund
total row: the förbund's totals are shown once, in the national comparison, where they are
hidden whenever one of the insats figures they sum is hidden.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal

import pandas as pd

from utfall import __version__
from utfall.cohorts import AT_EXIT, TWELVE_MONTH_COHORT, TWELVE_MONTHS, cohort_label
from utfall.config import Paths
from utfall.evaluation import tables_data as data
from utfall.evaluation.model import Chart, Report, ReportTable, Section
from utfall.evaluation.render_format import is_missing
from utfall.evaluation.tables_common import (
    HIDDEN, LIGHT_RULE_SV, Links, fmt_count, fmt_share, light_for_months_above, light_for_share, share,
    shown_number,
    table, with_column,
)
from utfall.evaluation.tables_insats import (
    active_status_tables, description_table, fidelity_tables, jobs_table, trend_table, flow_tables, flows_text, outcome_tables, outcomes_text, participant_tables,
    participants_text, support_tables, time_to_work_table, transition_table,
)
from utfall.evaluation.provenance import SincePrevious
from utfall.evaluation.tables_method import method_section, missing_deliveries_text
from utfall.evaluation.tables_socio import socioeconomic_section
from utfall.ledger import connect_warehouse
from utfall.socioeconomic import Parameters, Result, calculate, default_parameters
from utfall.suppression import TableSpec, resolve_threshold


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

    links = Links()
    keys = _key_figures(insatser, src, year)
    sections = []
    for ins in insatser:
        sections.append(_insats_section(ins, src, keys.loc[ins.insats_id], year, t, links))
    summary = _summary_section(insatser, keys, src, name, year, t, links)
    national = _national_section(insatser, src, forbund_id, name, year, t, links)
    summary = Section(key=summary.key, title=summary.title, paragraphs=summary.paragraphs, tables=summary.tables,
                      charts=summary.charts, subsections=[*summary.subsections, national])
    return Report(
        forbund_id=forbund_id, forbund_name=name, year=year, gate_run_id=gate_run_id,
        sections=[summary, *sections, method],
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
                 "fördelas på slag av försörjning utan att röja enskilda."], s_tables + tr_tables, s_charts),
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

ACT, NEW, END, FOL, DIR, SH = ("Aktiva deltagare", "Nya", "Avslutade", "Följbara månaden efter avslut",
                               "Till arbete eller studier", "Andel till arbete eller studier")


def _summary_section(insatser, keys: pd.DataFrame, src, name: str, year: int, t: int, links: Links) -> Section:
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
                      note=f"Aktiva = personer som deltog någon gång under året. Nya och avslutade = inskrivningar "
                           f"och avslut under {year} (räknade per avslut). Till arbete eller studier = enligt registren "
                           "månaden efter avslut, av de avslut som kan följas dit (jämför SUS: nationellt ungefär en "
                           "tredjedel).")
    for ins in insatser:
        links.record(key_table.suppressed, {(ins.insats_id, m): (labels[ins.insats_id], c) for m, c in
                                            (("active", ACT), ("new", NEW), ("ended", END),
                                             ("followable_after_exit", FOL), ("direct_work_or_studies", DIR))})
    goal_table = _goal_table(insatser, keys, src["goals"], src["caseload"], labels, year, t, links)
    chart = Chart(title=f"Andel till arbete eller studier per insats {year}", kind="bar", table=key_table,
                  series={SH: "Andel till arbete eller studier"}, percent=True, x_label="Insats",
                  y_label="Andel av följbara avslutade",
                  alt_text=f"Stapeldiagram: andel av de avslutade som gick till arbete eller studier per insats {year}.")
    d = key_table.suppressed.display
    prose = [f"{name} hade {len(insatser)} {'insats' if len(insatser) == 1 else 'insatser'} med deltagare under {year}."]
    for lab in d.index:
        prose.append(f"{lab}: {fmt_count(d.at[lab, ACT])} deltagare under året, {fmt_count(d.at[lab, NEW])} nya "
                     f"och {fmt_count(d.at[lab, END])} avslut; av de avslut som kan följas ledde "
                     f"{fmt_share(d.at[lab, SH])} direkt till arbete eller studier.")
    missing = missing_deliveries_text(src["missing_feeds"], year)
    return Section(key="sammanfattning", title="Sammanfattning",
                   paragraphs=[" ".join(prose), *filter(None, [missing]), LIGHT_RULE_SV],
                   tables=[key_table, goal_table], charts=[chart])


def _goal_table(insatser, keys, goals: pd.DataFrame, caseload: pd.DataFrame, labels, year: int, t: int,
                links: Links) -> ReportTable:
    """Goal attainment against insats_ar: by reported exit reason, and the caseload over the whole
    year (months above the goal, mart_caseload_year), not on December alone."""
    g = goals.set_index("insats_id")
    c = caseload.set_index("insats_id")
    END_, W, WS, WG, ST, SS, SG, OG, MA, CG = (
        "Avslutade", "Till arbete", "Andel till arbete", "Mål arbete", "Till studier", "Andel till studier",
        "Mål studier", "Mål sysselsättning", "Månader över målet per årsarbetare", "Mål per årsarbetare")
    rows, force, caseload_lights = [], [], {}
    for ins in insatser:
        k = keys.loc[ins.insats_id]
        gg = g.loc[ins.insats_id] if ins.insats_id in g.index else pd.Series(dtype=object)
        cc = c.loc[ins.insats_id] if ins.insats_id in c.index else pd.Series({"months_judged": 0, "months_above_goal": 0})
        judged, above = int(cc.months_judged), int(cc.months_above_goal)
        rows.append({
            END_: int(k.ended), W: int(k.to_work), WS: share(k.to_work, k.ended), WG: gg.get("goal_share_work"),
            ST: int(k.to_studies), SS: share(k.to_studies, k.ended), SG: gg.get("goal_share_studies"),
            OG: gg.get("goal_share_occupation"),
            MA: f"{above} av {judged}" if judged else None, CG: gg.get("goal_participants_per_coach"),
        })
        caseload_lights[labels[ins.insats_id]] = light_for_months_above(above, judged,
                                                                         gg.get("goal_participants_per_coach"))
        lab = labels[ins.insats_id]
        i = ins.insats_id
        if links.must_force(i, "ended"):
            force.append((lab, END_))
        # 'Till arbete' = the reasons table's arbete + arbete med lönestöd: hidden if either is hidden
        # there, or the other one could be worked out from it
        if links.is_hidden(i, "exit_work") or links.is_hidden(i, "exit_subsidised_work"):
            force.append((lab, W))
        if links.must_force(i, "exit_studies"):
            force.append((lab, ST))
    frame = pd.DataFrame(rows, index=[labels[i.insats_id] for i in insatser],
                         columns=[END_, W, WS, WG, ST, SS, SG, OG, MA, CG])
    spec = TableSpec(counts=[END_, W, ST], derived={WS: [W, END_], SS: [ST, END_]})
    rt = table("maluppfyllelse", f"Måluppfyllelse {year}", frame, spec, t, percent=[WS, WG, SS, SG, OG],
               force_hidden=force,
               note="Andelar av avslutade efter rapporterad avslutsorsak (arbete inklusive arbete med lönestöd). "
                    "Mål enligt förbundets insatsplan (insats_ar). Målet för sysselsättning (t.ex. arbetsträning "
                    "eller daglig verksamhet) visas men kan inte följas upp: ingen avslutsorsak och inget levererat "
                    "register anger sysselsättning. " + LIGHT_RULE_SV)
    sup = rt.suppressed
    d = sup.display
    for col, value_col, goal_col, rule in (("Bedömning arbete", WS, WG, light_for_share),
                                           ("Bedömning studier", SS, SG, light_for_share)):
        lights = {}
        for r in d.index:
            light = rule(shown_number(d.at[r, value_col]), shown_number(d.at[r, goal_col]))
            lights[r] = HIDDEN if light is None else light
        sup = with_column(sup, col, lights)
    # months are no count of persons: the caseload verdict needs no suppression
    sup = with_column(sup, "Bedömning deltagare per årsarbetare", caseload_lights)
    order = [END_, W, WS, WG, "Bedömning arbete", ST, SS, SG, "Bedömning studier", MA, CG,
             "Bedömning deltagare per årsarbetare"]
    sup = type(sup)(display=sup.display[order], reasons=sup.reasons[order], spec=sup.spec, threshold=sup.threshold)
    return ReportTable(key=rt.key, title=rt.title, suppressed=sup, note=rt.note, percent_columns=rt.percent_columns)


# --- national comparison -------------------------------------------------------------------

NAT = (("participants_active", "Aktiva deltagare", "active"), ("new_entries", "Nya", "new"),
       ("ended", "Avslutade", "ended"), ("followable_after_exit", "Följbara månaden efter avslut", "followable_after_exit"),
       ("direct_work_or_studies", "Till arbete eller studier", "direct_work_or_studies"),
       ("followable_12m", "Följbara 12 månader efter (förra årets avslut)", "followable_12m"),
       ("self_supporting_12m", "Egen försörjning 12 månader efter (förra årets avslut)", "self_supporting_12m"))
# The 12-month figures are the exit cohort of the year before (cohorts.py): mart_national_year's
# row of that year, whose outcome columns are by exit year.
NAT_12M = ("followable_12m", "self_supporting_12m")
NAT_SHARES = (("Andel till arbete eller studier", "Till arbete eller studier", "Följbara månaden efter avslut"),
              ("Andel egen försörjning 12 månader efter (förra årets avslut)",
               "Egen försörjning 12 månader efter (förra årets avslut)", "Följbara 12 månader efter (förra årets avslut)"))


# Riket minus one förbund is the others' sum: with fewer than two others, that is one other
# förbund's figures, which its own report may hide. Then no comparison is shown.
MIN_OTHER_FORBUND = 2


def _national_section(insatser, src, forbund_id: str, name: str, year: int, t: int, links: Links) -> Section:
    nat = src["national"].set_index("forbund_id")
    nat12 = src["national_12m"].set_index("forbund_id")
    others = [f for f in nat.index if f not in ("riket", forbund_id)]
    if len(others) < MIN_OTHER_FORBUND:
        return Section(key="jamforelse_riket", title="Förbundet jämfört med riket", paragraphs=[
            f"Jämförelsen med riket visas när minst {MIN_OTHER_FORBUND + 1} förbund finns i Utfall. Nu finns "
            f"{len(others) + 1}, och riket minus förbundet vore ett annat enskilt förbunds siffror."])
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
    text = (f"Av förbundets följbara avslutade gick {fmt_share(d.at[name, sh0])} direkt till arbete eller studier, "
            f"mot {fmt_share(d.at[RIKET, sh0])} i riket.")
    chart = Chart(title=f"Förbundet jämfört med riket {year}", kind="bar", table=rt,
                  series={s: s for s, _, _ in NAT_SHARES}, rows=(name, RIKET), percent=True, y_label="Andel",
                  alt_text=(f"Stapeldiagram: andel till arbete eller studier efter avslut och andel i egen försörjning "
                            f"12 månader efter, för {name} och för riket {year}."))
    return Section(key="jamforelse_riket", title="Förbundet jämfört med riket", paragraphs=[text], tables=[rt],
                   charts=[chart])
