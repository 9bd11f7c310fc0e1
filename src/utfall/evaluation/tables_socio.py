"""The socioeconomic analysis of one insats (domain brief §5): its row of
mart_socioeconomic_year (the one SQL calculation, macros/socioeconomic.sql) as a table.

Every krona figure is tied to both group counts (all who moved to work or studies, and those
in work): a group below the threshold shows no figures.
"""

from __future__ import annotations

import pandas as pd

from utfall.dq.cohorts import TWELVE_MONTHS, cohort_label, why_not_followable
from utfall.evaluation.report_model import Chart, Section
from utfall.evaluation.tables_common import fmt_count, fmt_number, fmt_sek, table
from utfall.evaluation.tables_data import Insats
from utfall.evaluation.socioeconomic import Parameters, Result
from utfall.evaluation.suppression import TableSpec

WORK, STUDIES, TOTAL = "I arbete", "I studier", "Totalt i arbete eller studier"
P, SEK, RATIO = "Personer", "Kronor per år", "Kvot"


def _rows(result, params: Parameters, exit_year: int, cost_known: bool) -> list[tuple[str, float | None, float | None]]:
    """(label, kronor, kvot) in reading order; the figures are the calculation's, unrounded. Without
    a delivered cost there is no cost, net or return to show (empty, not 0)."""
    py, per, pro, cf = result.per_year, result.perspectives, result.projection, result.counterfactual
    years = f"{fmt_number(float(params.benefit_period_years), 0)} år × {fmt_number(float(params.persistence_share) * 100, 0)} %"
    k = (lambda d: float(d))
    c = (lambda d: float(d) if cost_known else None)
    return [
        ("Minskade utbetalningar, Försäkringskassan", k(py.reduced_payments.fk), None),
        ("Minskade utbetalningar, Arbetsförmedlingens budget", k(py.reduced_payments.af), None),
        ("Minskade utbetalningar, kommunen (ekonomiskt bistånd)", k(py.reduced_payments.kommun), None),
        ("Minskade utbetalningar, totalt", k(py.reduced_payments.total), None),
        ("Ökade skatteintäkter", k(py.increased_tax), None),
        ("Minskat boendestöd (besparing)", k(py.housing_support.savings), None),
        ("Offentlig vinst per år", k(py.public_gain), None),
        ("Produktionsvärde", k(py.production_value), None),
        ("Lönestöd till arbetsgivare (kostnad)", k(py.wage_subsidies), None),
        ("Samhället som helhet", k(per.society), None),
        ("Försäkringskassans perspektiv", k(per.fk), None),
        ("Arbetsförmedlingens perspektiv", k(per.af), None),
        ("Kommunens perspektiv", k(per.kommun), None),
        (f"Insatsens kostnad {exit_year}", c(result.cost), None),
        ("Netto (offentlig vinst − kostnad)", c(result.net), None),
        ("Återbäring per satsad krona", None,
         None if result.return_per_krona is None or not cost_known else k(result.return_per_krona)),
        (f"Minskade utbetalningar över nyttoperioden ({years})", k(pro.reduced_payments), None),
        (f"Ökade skatteintäkter över nyttoperioden ({years})", k(pro.increased_tax), None),
        ("Offentlig vinst som kan tillskrivas insatsen, lägst", k(cf.attributable_min), None),
        ("Offentlig vinst som kan tillskrivas insatsen, högst", k(cf.attributable_max), None),
    ]


def socioeconomic_section(ins: Insats, result: Result, p: Parameters, n_work: int, n_studies: int,
                          t: int, *, exit_year: int, ended: int, followable: int, cost_known: bool) -> Section:
    """`result` of the calculation with parameters `p`, over n_work persons in work and n_studies in
    studies of the exit cohort `exit_year` (`ended` avslut, `followable` of them followable 12 months).
    A cohort not yet followable, or with nobody in work or studies, gets words, not a net of minus
    the cost or a return of 0."""
    title, key = "Samhällsekonomisk analys", f"{ins.insats_id}_samhallsekonomi"
    cohort = cohort_label(exit_year)
    if not ended:
        return Section(key=key, title=title, paragraphs=[
            f"Den samhällsekonomiska analysen görs på dem som avslutades året före utvärderingsåret, vars "
            f"12 månader efter avslut har hunnit gå. Insatsen hade inga avslut under {exit_year}."])
    if not followable:
        return Section(key=key, title=title, paragraphs=[
            f"Den samhällsekonomiska analysen görs på dem som {cohort}, läget 12 månader efter avslut. Den kan "
            f"inte göras än: "
            f"{why_not_followable(TWELVE_MONTHS, exit_year, exit_year + TWELVE_MONTHS.years_back)}."])
    if not n_work + n_studies:
        return Section(key=key, title=title, paragraphs=[
            f"Den samhällsekonomiska analysen görs på dem som {cohort} och 12 månader efter avslut var i arbete "
            "eller studier. Ingen av dem som kan följas så långt var det (med kända 12 månader före "
            "inskrivning), så ingen vinst kan beräknas och inget netto eller återbäring visas."])
    rows = [(WORK, n_work, None, None), (STUDIES, n_studies, None, None), (TOTAL, n_work + n_studies, None, None)]
    rows += [(label, None, kr, ratio) for label, kr, ratio in _rows(result, p, exit_year, cost_known)]
    frame = pd.DataFrame([r[1:] for r in rows], index=[r[0] for r in rows], columns=[P, SEK, RATIO])
    frame[P] = frame[P].astype(object)
    spec = TableSpec(counts=[P], derived={SEK: [(WORK, P), (TOTAL, P)], RATIO: [(WORK, P), (TOTAL, P)]},
                     total_rows={TOTAL: [WORK, STUDIES]}, additive=[P])
    cost_label = f"Insatsens kostnad {exit_year}"
    rt = table(key, f"{ins.name}: samhällsekonomisk analys, {cohort}, läget 12 månader efter avslut", frame, spec, t,
               sek=[SEK], decimals=[RATIO],
               note=(f"De som {cohort} och 12 månader efter avslut var i arbete (med eller utan lönestöd) eller "
                     "studier enligt registren, och vars 12 månader före inskrivning finns i data. Före = "
                     "månadsmedel under 12 månader före inskrivning; efter = månadsmedel under månad 1–12 efter "
                     "avslut för utbetalningarna och situationen 12 månader efter avslut för lön och boendestöd. "
                     "Årseffekt = 12 × månadsförändring. Skattesats "
                     f"{fmt_number(float(p.tax_rate) * 100, 0)} %, produktionsvärde = lön × "
                     f"{fmt_number(float(p.production_factor))}, boendestöd {fmt_number(float(p.housing_support_cost_per_hour), 0)} "
                     f"kr per timme. Kostnaden är insatsens kostnad {exit_year}, det år avsluten skedde"
                     + ("" if cost_known else " (inte levererad: netto och återbäring kan inte beräknas)")
                     + ". A-kassa levereras inte och ingår inte. Tillskrivbar andel: IPS antas vara "
                     f"{fmt_number(float(p.ips_effect_min), 0)}–{fmt_number(float(p.ips_effect_max), 0)} gånger så "
                     "effektiv som ordinarie rehabilitering."))
    d = rt.suppressed.display
    gain, cost, net = (d.at["Offentlig vinst per år", SEK], d.at[cost_label, SEK],
                       d.at["Netto (offentlig vinst − kostnad)", SEK])
    gain_hidden = rt.suppressed.hidden.at["Offentlig vinst per år", SEK]
    if gain_hidden:
        text = (f"Den samhällsekonomiska analysen omfattar {fmt_count(d.at[TOTAL, P])} personer som {cohort}. "
                f"Gruppen (eller en delgrupp) är för liten för att visa beräkningen utan att röja enskilda: färre "
                f"än {t} personer ger inga kronbelopp.")
    else:
        text = (f"Den samhällsekonomiska analysen omfattar {fmt_count(d.at[TOTAL, P])} personer som {cohort} "
                f"och var i arbete eller studier 12 månader efter avslut. Den offentliga vinsten beräknas till "
                f"{fmt_sek(gain)} per år")
        text += (f", mot insatsens kostnad {fmt_sek(cost)} under {exit_year}; netto {fmt_sek(net)}." if cost_known
                 else f"; insatsens kostnad {exit_year} är inte levererad, så netto och återbäring kan inte beräknas.")
    charts = []
    plot = ("Minskade utbetalningar, totalt", "Ökade skatteintäkter", "Minskat boendestöd (besparing)",
            *((cost_label,) if cost_known else ()))
    # a chart of hidden amounts shows nothing but the cost: only where the gains are shown
    if not gain_hidden:
        charts.append(Chart(title=f"Offentlig vinst per år och kostnad – {ins.name}", kind="barh", table=rt,
                            series={SEK: "Kronor per år"}, rows=plot, y_label="Kronor per år",
                            alt_text=(f"Liggande stapeldiagram: minskade utbetalningar, ökade skatteintäkter och "
                                      f"minskat boendestöd per år för dem som {cohort}, jämfört med insatsens "
                                      f"kostnad för {ins.name}. Dolda belopp visas inte.")))
    return Section(key=key, title=title, paragraphs=[text], tables=[rt], charts=charts)
