"""Scenario: two people, three months, every feed; the panel's rows worked out by hand.

Person 1 enters IPS 1 Feb 2024. January: full sjukpenning and ekonomiskt bistånd. February:
a job (9,000 SEK ≥ the 2024 threshold of 7,200 = 57,300/8 rounded) beside half sjukpenning.
March: the job alone. Person 2 is on the waiting list: aktivitetsstöd in January, studies with
a small side income in February, a job with lönebidrag in March.
"""

from __future__ import annotations

from decimal import Decimal

from tests.conftest import deliver, pid, query
from utfall.warehouse.dbt_build import build
from utfall.ingest.loader import load

P1, P2 = pid(1), pid(2)

DELIVERIES = {
    ("deltagare", "deltagare_sf01_20240331.csv"): (
        "person_id;forbund_id;insats_id;kodatum;inskrivningsdatum;avslutsdatum;kon;fodelsear;hemkommun;"
        "utbildningsniva;status;avslutsorsak\n"
        f"{P1};sf01;sf01-ips1;2024-01-15;2024-02-01;;K;1990;0180;gymnasium;aktiv;\n"
        f"{P2};sf01;sf01-ips1;2024-03-01;;;M;1995;0180;okand;vantar;\n"
    ),
    ("fk_utbetalningar", "fk_utbetalningar_202401.csv"): (
        "person_id;manad;formankod;omfattning;dagar;belopp_sek;skatt_sek\n"
        f"{P1};2024-01;SJP;100;31;20000;6000\n{P2};2024-01;AKS;100;22;6000;1800\n"
    ),
    ("fk_utbetalningar", "fk_utbetalningar_202402.csv"): (
        "person_id;manad;formankod;omfattning;dagar;belopp_sek;skatt_sek\n"
        f"{P1};2024-02;SJP;50;29;8000;2400\n"
    ),
    ("kommun_bistand", "kommun_bistand_202401.csv"): (
        f"person_id;manad;kommun;belopp_sek;forsorjningshinder\n{P1};2024-01;0180;5000;SJUK\n"
    ),
    ("skv_lon", "skv_lon_202402.csv"): (
        "person_id;manad;arbetsgivare_sektor;bruttolon_sek;skatteavdrag_sek\n"
        f"{P1};2024-02;PRIVAT;9000;2700\n{P2};2024-02;PRIVAT;3000;0\n"
    ),
    ("skv_lon", "skv_lon_202403.csv"): (
        "person_id;manad;arbetsgivare_sektor;bruttolon_sek;skatteavdrag_sek\n"
        f"{P1};2024-03;PRIVAT;12000;3600\n{P2};2024-03;IDEELL;8000;2000\n"
    ),
    ("af_status", "af_status_202401.csv"): (
        "person_id;manad;inskriven;sokandekategori;program;lonestod_typ;lonestod_sek\n"
        f"{P2};2024-01;J;11;;;\n"
    ),
    ("af_status", "af_status_202403.csv"): (
        "person_id;manad;inskriven;sokandekategori;program;lonestod_typ;lonestod_sek\n"
        f"{P2};2024-03;J;68;;LONEBIDRAG;10000\n"
    ),
    ("csn_studiestod", "csn_studiestod_202402.csv"): (
        f"person_id;manad;studieform;bidrag_sek;lan_sek\n{P2};2024-02;KOMVUX;3500;\n"
    ),
    ("kommun_boendestod", "kommun_boendestod_202403.csv"): (
        f"person_id;manad;kommun;timmar\n{P2};2024-03;0180;10\n"
    ),
    ("region_vard", "region_vard_202403.csv"): (
        f"person_id;manad;oppenvardsbesok;slutenvardsdagar\n{P2};2024-03;2;0\n"
    ),
}

F, T = False, True
# person, month, year, status, self-supporting, work, subsidised work, studies, ohälsa, labour-market
# support, bistånd, any public support, salary, salary tax, wage subsidy, AF-registered, study grant,
# study loan, ohälsa SEK, labour-market SEK, bistånd SEK, FK budget, AF budget, kommun, total,
# taxable support, tax withheld on support, helårsekvivalenter, boendestöd hours, visits, inpatient days
EXPECTED = [
    (P1, "2024-01-01", 2024, "ohalsa", F, F, F, F, T, F, T, T, 0, 0, 0, F, 0, 0,
     20000, 0, 5000, 20000, 0, 5000, 25000, 20000, 6000, 31 / 365 + 1 / 12, 0.0, 0, 0),
    (P1, "2024-02-01", 2024, "arbete", F, T, F, F, T, F, F, T, 9000, 2700, 0, F, 0, 0,
     8000, 0, 0, 8000, 0, 0, 8000, 8000, 2400, 29 * 0.5 / 365, 0.0, 0, 0),
    (P1, "2024-03-01", 2024, "arbete", T, T, F, F, F, F, F, F, 12000, 3600, 0, F, 0, 0,
     0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0, 0, 0),
    (P2, "2024-01-01", 2024, "arbetsmarknadsstod", F, F, F, F, F, T, F, T, 0, 0, 0, T, 0, 0,
     0, 6000, 0, 0, 6000, 0, 6000, 6000, 1800, 22 / 365, 0.0, 0, 0),
    # 3,000 SEK is below the threshold: a side income, so studies is the status — and self-support
    (P2, "2024-02-01", 2024, "studier", T, F, F, T, F, F, F, F, 3000, 0, 0, F, 3500, 0,
     0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0, 0, 0),
    (P2, "2024-03-01", 2024, "arbete_subventionerat", T, F, T, F, F, F, F, F, 8000, 2000, 10000, T, 0, 0,
     0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 10.0, 2, 0),
]


def normalise(row: tuple) -> tuple:
    return tuple(float(v) if isinstance(v, Decimal) else round(v, 9) if isinstance(v, float) else v for v in row)


def test_person_month_panel_matches_the_hand_computed_rows(home):
    for (feed, name), text in DELIVERIES.items():
        deliver(home, feed, name, text)
    assert load(home).exit_code == 0
    result = build(home)
    assert result.success, result.failures
    rows = query(home, "SELECT * EXCLUDE (month_start), month_start::VARCHAR FROM core.fct_person_months "
                       "ORDER BY person_id = ?, month_start", [P2])
    actual = [normalise((r[0], r[-1], *r[1:-1])) for r in rows]
    assert actual == [normalise(e) for e in EXPECTED]
