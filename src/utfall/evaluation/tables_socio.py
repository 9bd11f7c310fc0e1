"""The socioeconomic analysis of one insats (domain brief §5): its row of
mart_socioeconomic_year (the one SQL calculation, macros/socioeconomic.sql) as a table.

Every krona figure is tied to both group counts (all who moved to work or studies, and those
in work): a group below the threshold shows no figures.
"""

from __future__ import annotations

import pandas as pd

from utfall.evaluation.model import Chart, Section
from utfall.evaluation.tables_common import fmt_count, fmt_number, fmt_sek, table
from utfall.evaluation.tables_data import Insats
from utfall.socioeconomic import Parameters, Result
from utfall.suppression import TableSpec

WORK, STUDIES, TOTAL = "I arbete", "I studier", "Totalt i arbete eller studier"
P, SEK, RATIO = "Personer", "Kronor per år", "Kvot"


def _rows(result, params: Parameters) -> list[tuple[str, float | None, float | None]]:
    """(label, kronor, kvot) in reading order; the figures are the calculation's, unrounded."""
    py, per, pro, cf = result.per_year, result.perspectives, result.projection, result.counterfactual
    years = f"{fmt_number(float(params.benefit_period_years), 0)} år × {fmt_number(float(params.persistence_share) * 100, 0)} %"
    k = (lambda d: float(d))
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
        ("Insatsens kostnad under året", k(result.cost), None),
        ("Netto (offentlig vinst − kostnad)", k(result.net), None),
        ("Återbäring per satsad krona", None, None if result.return_per_krona is None else k(result.return_per_krona)),
        (f"Minskade utbetalningar över nyttoperioden ({years})", k(pro.reduced_payments), None),
        (f"Ökade skatteintäkter över nyttoperioden ({years})", k(pro.increased_tax), None),
        ("Offentlig vinst som kan tillskrivas insatsen, lägst", k(cf.attributable_min), None),
        ("Offentlig vinst som kan tillskrivas insatsen, högst", k(cf.attributable_max), None),
    ]


def socioeconomic_section(ins: Insats, result: Result, p: Parameters, n_work: int, n_studies: int,
                          t: int) -> Section:
    """`result` of the calculation with parameters `p`, over n_work persons in work and n_studies in studies."""
    rows = [(WORK, n_work, None, None), (STUDIES, n_studies, None, None), (TOTAL, n_work + n_studies, None, None)]
    rows += [(label, None, kr, ratio) for label, kr, ratio in _rows(result, p)]
    frame = pd.DataFrame([r[1:] for r in rows], index=[r[0] for r in rows], columns=[P, SEK, RATIO])
    frame[P] = frame[P].astype(object)
    spec = TableSpec(counts=[P], derived={SEK: [(WORK, P), (TOTAL, P)], RATIO: [(WORK, P), (TOTAL, P)]},
                     total_rows={TOTAL: [WORK, STUDIES]}, additive=[P])
    rt = table(f"{ins.insats_id}_samhallsekonomi", f"{ins.name}: samhällsekonomisk analys", frame, spec, t,
               sek=[SEK],
               note=("Avslutade under året som 12 månader efter avslut var i arbete (med eller utan lönestöd) eller "
                     "studier enligt registren, och vars 12 månader före inskrivning finns i data. Före = "
                     "månadsmedel under 12 månader före inskrivning; efter = situationen 12 månader efter avslut. "
                     "Årseffekt = 12 × månadsförändring. Skattesats "
                     f"{fmt_number(float(p.tax_rate) * 100, 0)} %, produktionsvärde = lön × "
                     f"{fmt_number(float(p.production_factor))}, boendestöd {fmt_number(float(p.housing_support_cost_per_hour), 0)} "
                     "kr per timme. A-kassa levereras inte och ingår inte. Tillskrivbar andel: IPS antas vara "
                     f"{fmt_number(float(p.ips_effect_min), 0)}–{fmt_number(float(p.ips_effect_max), 0)} gånger så "
                     "effektiv som ordinarie rehabilitering."))
    d = rt.suppressed.display
    gain, cost, net = (d.at["Offentlig vinst per år", SEK], d.at["Insatsens kostnad under året", SEK],
                       d.at["Netto (offentlig vinst − kostnad)", SEK])
    if rt.suppressed.hidden.at["Offentlig vinst per år", SEK]:
        text = (f"Den samhällsekonomiska analysen omfattar {fmt_count(d.at[TOTAL, P])} personer. Gruppen (eller "
                f"en delgrupp) är för liten för att visa beräkningen utan att röja enskilda: färre än {t} "
                "personer ger inga kronbelopp.")
    else:
        text = (f"Den samhällsekonomiska analysen omfattar {fmt_count(d.at[TOTAL, P])} personer som gick till arbete "
                f"eller studier. Den offentliga vinsten beräknas till {fmt_sek(gain)} per år, mot insatsens kostnad "
                f"{fmt_sek(cost)} under året; netto {fmt_sek(net)}.")
    charts = []
    plot = ("Minskade utbetalningar, totalt", "Ökade skatteintäkter", "Minskat boendestöd (besparing)",
            "Insatsens kostnad under året")
    charts.append(Chart(title=f"Offentlig vinst per år och kostnad – {ins.name}", kind="barh", table=rt,
                        series={SEK: "Kronor per år"}, rows=plot, y_label="Kronor per år",
                        alt_text=(f"Liggande stapeldiagram: minskade utbetalningar, ökade skatteintäkter och minskat "
                                  f"boendestöd per år jämfört med insatsens kostnad för {ins.name}. Dolda belopp visas inte.")))
    return Section(key=f"{ins.insats_id}_samhallsekonomi", title="Samhällsekonomisk analys", paragraphs=[text],
                   tables=[rt], charts=charts)
