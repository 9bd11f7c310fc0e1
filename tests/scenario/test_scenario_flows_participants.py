"""Scenario: one förbund, five episodes, 18 months of data; flows, participants and time to
first work worked out by hand.

Data period January 2023 – June 2024, every month delivered by every feed used (person 9 is no
participant: they fill the months without a scenario person, as a real register always has
rows), so the data are complete to June 2024. Register snapshot of 30 June 2024, insats sf01-ips1 (sf01-se1 has nobody):

- P1 (K, 1990, Stockholm, gymnasium): queued 1 Dec 2023, in 15 Jan 2024 (45 days' wait),
  open. Sjukpenning in March and December 2023; first salary above the threshold in March
  2024 (month 2 after the inskrivning month).
- P2 (M, 2000, Södertälje, grundskola): in 1 Feb 2024 without a queue, out 30 Apr 2024.
  Bistånd in May 2023 and January 2024, boendestöd in January 2024; no work, followed past
  his exit to the end of the data (censored in June 2024, month 4).
- P3 (K, 1960, Stockholm, eftergymnasial): queued 10 Jan 2024, in 31 Jan (21 days), out
  5 Mar 2024. No support; work in February 2024 (month 1).
- P4: on the waiting list since 20 May 2024.
- P5 (M, 1985, Stockholm, högskola): in 1 Jun 2023, open. Aktivitetsstöd in May 2023; a small
  side income (5,000 < the 2024 threshold of 7,200) in April 2024; censored at the end of the
  data (month 12).
"""

from __future__ import annotations

from decimal import Decimal

from tests.conftest import deliver, pid, query
from utfall.warehouse.dbt_build import build
from utfall.ingest.loader import load

P1, P2, P3, P4, P5, FILLER = pid(1), pid(2), pid(3), pid(4), pid(5), pid(9)

FK = "person_id;manad;formankod;omfattning;dagar;belopp_sek;skatt_sek\n"
BISTAND = "person_id;manad;kommun;belopp_sek;forsorjningshinder\n"
BOENDESTOD = "person_id;manad;kommun;timmar\n"
LON = "person_id;manad;arbetsgivare_sektor;bruttolon_sek;skatteavdrag_sek\n"

DELIVERIES = {
    ("deltagare", "deltagare_sf01_20240630.csv"): (
        "person_id;forbund_id;insats_id;kodatum;inskrivningsdatum;avslutsdatum;kon;fodelsear;hemkommun;"
        "utbildningsniva;status;avslutsorsak\n"
        f"{P1};sf01;sf01-ips1;2023-12-01;2024-01-15;;K;1990;0180;gymnasium;aktiv;\n"
        f"{P2};sf01;sf01-ips1;;2024-02-01;2024-04-30;M;2000;0181;grundskola;avslutad;avbrutit\n"
        f"{P3};sf01;sf01-ips1;2024-01-10;2024-01-31;2024-03-05;K;1960;0180;eftergymnasial;avslutad;arbete\n"
        f"{P4};sf01;sf01-ips1;2024-05-20;;;K;1992;0180;gymnasium;vantar;\n"
        f"{P5};sf01;sf01-ips1;;2023-06-01;;M;1985;0180;hogskola;aktiv;\n"
    ),
    ("insatser", "insatser_sf01_20240630.csv"): (
        "insats_id;forbund_id;namn;metod;insatsagare;startdatum;slutdatum;malgrupp\n"
        "sf01-ips1;sf01;IPS Stockholm;IPS;Region Stockholm;2022-01-01;;Psykisk funktionsnedsättning\n"
        "sf01-se1;sf01;SE Stockholm;SE;Stockholms stad;2024-01-01;;Unga vuxna\n"
    ),
    ("insats_ar", "insats_ar_sf01_20240630.csv"): (
        "insats_id;ar;budget_sek;kostnad_sek;arsarbetare_coach;mal_andel_arbete;mal_andel_studier;"
        "mal_andel_sysselsattning;mal_deltagare_per_coach\n"
        "sf01-ips1;2023;1000000;950000;1;0,2;0,2;0,1;20\n"
        "sf01-ips1;2024;1500000;;1,5;0,2;0,2;0,1;20\n"
    ),
    ("fk_utbetalningar", "fk_utbetalningar_202301.csv"): FK + f"{FILLER};2023-01;SJE;100;31;12000;3000\n",
    ("fk_utbetalningar", "fk_utbetalningar_202303.csv"): FK + f"{P1};2023-03;SJP;100;31;15000;4500\n",
    ("fk_utbetalningar", "fk_utbetalningar_202305.csv"): FK + f"{P5};2023-05;AKS;100;22;6000;1800\n",
    ("fk_utbetalningar", "fk_utbetalningar_202312.csv"): FK + f"{P1};2023-12;SJP;100;31;16000;4800\n",
    ("fk_utbetalningar", "fk_utbetalningar_202406.csv"): FK + f"{FILLER};2024-06;SJE;100;30;12000;3000\n",
    ("kommun_bistand", "kommun_bistand_202305.csv"): BISTAND + f"{P2};2023-05;0181;7000;ARBETSLOS\n",
    ("kommun_bistand", "kommun_bistand_202401.csv"): BISTAND + f"{P2};2024-01;0181;8000;ARBETSLOS\n",
    ("kommun_bistand", "kommun_bistand_202406.csv"): BISTAND + f"{FILLER};2024-06;0180;5000;SJUK\n",
    ("kommun_boendestod", "kommun_boendestod_202401.csv"): BOENDESTOD + f"{P2};2024-01;0181;12\n",
    ("kommun_boendestod", "kommun_boendestod_202406.csv"): BOENDESTOD + f"{FILLER};2024-06;0180;4\n",
    ("skv_lon", "skv_lon_202402.csv"): LON + f"{P3};2024-02;PRIVAT;12000;3600\n",
    ("skv_lon", "skv_lon_202403.csv"): LON + f"{P1};2024-03;KOMMUN;10000;3000\n",
    ("skv_lon", "skv_lon_202404.csv"): LON + f"{P5};2024-04;PRIVAT;5000;1000\n",
    ("skv_lon", "skv_lon_202406.csv"): LON + f"{FILLER};2024-06;PRIVAT;20000;6000\n",
}

# forbund, insats, month, year, active at start, new, ended, active at end, waiting at end,
# median waiting days, coach FTE, active per coach FTE
FLOWS = [
    # P5 is the one active; P1 has been queued since 1 Dec
    ("sf01", "sf01-ips1", "2023-12-01", 2023, 1, 0, 0, 1, 1, None, 1.0, 1.0),
    # P1 (45 days' wait) and P3 (21 days, entered on the month's last day) start: median 33
    ("sf01", "sf01-ips1", "2024-01-01", 2024, 1, 2, 0, 3, 0, 33.0, 1.5, 3 / 1.5),
    # P2 starts without a queue: no waiting days, no median
    ("sf01", "sf01-ips1", "2024-02-01", 2024, 3, 1, 0, 4, 0, None, 1.5, 4 / 1.5),
    ("sf01", "sf01-ips1", "2024-03-01", 2024, 4, 0, 1, 3, 0, None, 1.5, 3 / 1.5),  # P3 out 5 Mar
    ("sf01", "sf01-ips1", "2024-04-01", 2024, 3, 0, 1, 2, 0, None, 1.5, 2 / 1.5),  # P2 out 30 Apr
    ("sf01", "sf01-ips1", "2024-05-01", 2024, 2, 0, 0, 2, 1, None, 1.5, 2 / 1.5),  # P4 queued 20 May
    ("sf01", "sf01-ips1", "2024-06-01", 2024, 2, 0, 0, 2, 1, None, 1.5, 2 / 1.5),
    *[("sf01", "sf01-se1", month, int(month[:4]), 0, 0, 0, 0, 0, None, None, None)
      for month in ("2023-12-01", "2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01",
                    "2024-06-01")],
]

# year, dimension, category, label, persons (insats sf01-ips1; sf01-se1 has nobody, so no rows)
PARTICIPANTS = [
    # 2023: P5 alone (entered Jun 2023; aktivitetsstöd in May 2023). Block 1 before his start
    # (Jun 2022 – May 2023) begins before the data, so it does not count: no block, unknown.
    (2023, "age_group", "34-41", "34–41 år", 1),
    (2023, "education_level", "hogskola", "Högskola", 1),
    (2023, "home_kommun", "0180", "Stockholm", 1),
    # as known at the end of 2023 (the cut-off), not at the 2024 extract: 1 Jun – 31 Dec 2023, 214 days
    (2023, "months_in_insats", "7-9", "7–9 månader", 1),
    (2023, "sex", "M", "Män", 1),
    (2023, "support_at_start", "arbetsmarknadsstod", "Arbetsmarknadsstöd", 1),
    # the years the support history is counted out of: none (as above)
    (2023, "support_history_years_covered", "0", "0 år", 1),
    (2023, "total", "total", "Totalt", 1),
    (2023, "years_in_public_support_before_start", "okand", "Okänt (åren före start saknas i data)", 1),
    # 2024: P1, P2, P3, P5 (P4 only waits). Ages at entry: 34, 24, 64, 38.
    (2024, "age_group", "18-25", "18–25 år", 1),
    (2024, "age_group", "34-41", "34–41 år", 2),
    (2024, "age_group", "58-65", "58–65 år", 1),
    (2024, "education_level", "eftergymnasial", "Eftergymnasial utbildning", 1),
    (2024, "education_level", "grundskola", "Grundskola", 1),
    (2024, "education_level", "gymnasium", "Gymnasium", 1),
    (2024, "education_level", "hogskola", "Högskola", 1),
    (2024, "home_kommun", "0180", "Stockholm", 3),
    (2024, "home_kommun", "0181", "Södertälje", 1),
    # P1 168 days → 6 months; P2 90 → 3; P3 35 → 2; P5 396 → 14
    (2024, "months_in_insats", "1-3", "1–3 månader", 2),
    (2024, "months_in_insats", "13-17", "13–17 månader", 1),
    (2024, "months_in_insats", "4-6", "4–6 månader", 1),
    (2024, "sex", "K", "Kvinnor", 2),
    (2024, "sex", "M", "Män", 2),
    # month before start: P1 sjukpenning (Dec 2023), P2 bistånd and boendestöd (Jan 2024),
    # P3 nothing (Dec 2023), P5 aktivitetsstöd (May 2023); P2 counts twice
    (2024, "support_at_start", "arbetsmarknadsstod", "Arbetsmarknadsstöd", 1),
    (2024, "support_at_start", "boendestod", "Boendestöd", 1),
    (2024, "support_at_start", "ekonomiskt_bistand", "Ekonomiskt bistånd", 1),
    (2024, "support_at_start", "none", "Inget av dessa", 1),
    (2024, "support_at_start", "ohalsa", "Ersättning vid ohälsa", 1),
    # the years those are counted out of: P1, P2, P3 one block each (the data begin Jan 2023), P5 none
    (2024, "support_history_years_covered", "0", "0 år", 1),
    (2024, "support_history_years_covered", "1", "1 år", 3),
    (2024, "total", "total", "Totalt", 4),
    # P1: block Jan–Dec 2023 has sjukpenning; P2: block Feb 2023 – Jan 2024 has bistånd;
    # P3 none; P5 no block inside the data: unknown, not 0
    (2024, "years_in_public_support_before_start", "0", "0 år", 1),
    (2024, "years_in_public_support_before_start", "1", "1 år", 2),
    (2024, "years_in_public_support_before_start", "okand", "Okänt (åren före start saknas i data)", 1),
]

# month since entry, at risk, events, censored, survival, share in work, left out as already
# working the month before inskrivning (nobody). Months to first work: P3 1 (work), P1 2 (work),
# P2 4 (no work: followed past his exit in April to the end of data in June, censored there),
# P5 12 (censored at the end of data).
TIME_TO_WORK_2023 = [  # as known at the end of 2023: only P5 (in Jun 2023), observed Jun → Dec, censored
    *[(2023, t, 1, 0, 0, 1.0, 0.0, 0) for t in range(0, 6)],
    (2023, 6, 1, 0, 1, 1.0, 0.0, 0),
]
TIME_TO_WORK = [
    (0, 4, 0, 0, 1.0, 0.0, 0),
    (1, 4, 1, 0, 0.75, 0.25, 0),  # 1 − 1/4
    (2, 3, 1, 0, 0.5, 0.5, 0),  # 0.75 × (1 − 1/3)
    (3, 2, 0, 0, 0.5, 0.5, 0),
    (4, 2, 0, 1, 0.5, 0.5, 0),  # P2 censored here, still at risk
    *[(t, 1, 0, 0, 0.5, 0.5, 0) for t in range(5, 12)],
    (12, 1, 0, 1, 0.5, 0.5, 0),
]


def with_every_month_delivered(deliveries: dict) -> dict:
    """Agencies deliver every month: a month without a scenario person carries a non-participant."""
    filler_rows = {
        "fk_utbetalningar": (FK, "{m};SJE;100;30;12000;3000"),
        "kommun_bistand": (BISTAND, "{m};0180;5000;SJUK"),
        "kommun_boendestod": (BOENDESTOD, "{m};0180;4"),
        "skv_lon": (LON, "{m};PRIVAT;20000;6000"),
    }
    complete = dict(deliveries)
    for feed, (header, row) in filler_rows.items():
        for year, month in [(2023, m) for m in range(1, 13)] + [(2024, m) for m in range(1, 7)]:
            key = (feed, f"{feed}_{year}{month:02d}.csv")
            complete.setdefault(key, header + f"{FILLER};" + row.format(m=f"{year}-{month:02d}") + "\n")
    return complete


def normalise(row: tuple) -> tuple:
    return tuple(float(v) if isinstance(v, Decimal) else round(v, 9) if isinstance(v, float) else v for v in row)


def test_flows_participants_and_time_to_work_match_the_hand_computed_rows(home):
    for (feed, name), text in with_every_month_delivered(DELIVERIES).items():
        deliver(home, feed, name, text)
    report = load(home)
    assert report.exit_code == 0, [(o.file_name, o.status) for o in report.outcomes]
    result = build(home)
    assert result.success, result.failures

    assert query(home, "SELECT first_month::VARCHAR, last_month::VARCHAR, last_complete_month::VARCHAR "
                       "FROM intermediate.int_data_period") == [("2023-01-01", "2024-06-01", "2024-06-01")]

    # every insats × every month the registers cover, zeros included: from sf01-ips1's start
    # (1 Jan 2022, before the first delivered month) to the extract of 30 June 2024
    assert query(home, "SELECT count(*), min(month_start)::VARCHAR FROM marts.mart_flows_month") == [
        (2 * 30, "2022-01-01")]
    flows = query(home, "SELECT * REPLACE (month_start::VARCHAR AS month_start) FROM marts.mart_flows_month "
                        "WHERE month_start >= '2023-12-01' ORDER BY insats_id, month_start")
    assert [normalise(r) for r in flows] == [normalise(r) for r in FLOWS]
    # the months before P5's start are empty; June 2023 is his start
    assert query(home, "SELECT month_start::VARCHAR, active_start, new_entries, active_end FROM marts.mart_flows_month "
                       "WHERE insats_id = 'sf01-ips1' AND month_start BETWEEN '2023-05-01' AND '2023-06-01' "
                       "ORDER BY month_start") == [("2023-05-01", 0, 0, 0), ("2023-06-01", 0, 1, 1)]
    # flows of a period from its months: Q1 2024 starts with 1 active, 3 new, 1 ended, 3 at the end
    assert query(home, """
        SELECT arg_min(active_start, month_start), sum(new_entries)::INT, sum(ended)::INT,
               arg_max(active_end, month_start)
        FROM marts.mart_flows_month
        WHERE insats_id = 'sf01-ips1' AND month_start BETWEEN '2024-01-01' AND '2024-03-01'
    """) == [(1, 3, 1, 3)]

    participants = query(home, "SELECT * FROM marts.mart_participants_year ORDER BY year, dimension, category")
    assert participants == [("sf01", "sf01-ips1", *r) for r in PARTICIPANTS]

    curve = query(home, "SELECT * FROM marts.mart_time_to_work ORDER BY insats_id, year, month_since_entry")
    assert [normalise(r) for r in curve] == [normalise(("sf01", "sf01-ips1", *r)) for r in TIME_TO_WORK_2023] + [
        normalise(("sf01", "sf01-ips1", 2024, *r)) for r in TIME_TO_WORK]

    # person-free: no person column in any of the three marts
    assert query(home, "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'marts' "
                       "AND table_name IN ('mart_flows_month', 'mart_participants_year', 'mart_time_to_work') "
                       "AND column_name = 'person_id'") == [(0,)]
