"""Scenario: two förbund, eight people, 30 months of register data; outcomes worked out by hand.

The monthly feeds fk_utbetalningar, skv_lon, csn_studiestod, kommun_bistand and af_status
are delivered for every month 2023-01 … 2025-06, so the complete data end in 2025-06
(last_complete_month) and begin in 2023-01. kommun_boendestod and region_vard are not
delivered (they play no part in these measures; one month of them would end the complete data
there). Salary thresholds: 6,600 (2023), 7,200 (2024), 7,400 (2025) SEK a month.

sf01 (insatser sf01-ips, IPS, and sf01-sed, SEd):
  P1  sf01-ips 2024-01-15 → 2024-05-20, reported arbete. Full sjukpenning through 2023 (a full
      helårsekvivalent) plus bistånd Jan–Mar 2023 (3/12): the before window sums to 1.25 and is
      capped at 1. Half sjukpenning Jan–Feb 2024, a job (12,000) from March 2024 on. Back in
      sf01-sed from 2024-10-01, still open.
  P2  sf01-ips 2024-02-01 → 2024-06-30, reported studier. Aktivitetsstöd (22 days) Mar 2023 –
      Jan 2024, bistånd Jun–Aug 2023, nothing during the insats, studiemedel from July 2024.
  P3  sf01-ips 2024-03-01 → 2024-12-15, reported arbete_subventionerat. Bistånd Sep 2023 – Aug
      2024; a job with lönebidrag from September 2024. Its 12-month point (2025-12) lies beyond
      the data: followable at 6 months, not yet at 12.
  P7  sf01-sed 2024-05-01 → 2024-06-15, reported flyttat. Nothing in any register except bistånd
      Aug–Oct 2024 (in the after window, not at a follow-up point).
sf02 (sf02-ips, IPS):
  P4  sf02-ips 2022-03-01 → 2023-04-20 (began before the data), reported sjukskrivning. Full
      sjukpenning through 2023, a job (10,000) from 2024 with quarter sjukpenning Jan–Apr 2024
      (work, but not egen försörjning), then the job alone.
  P5  sf02-ips from 2024-04-10, open; a side income of 2,000 (below the threshold) every month.
  P6  sf02-ips 2023-06-01 → 2024-08-31, reported arbetssokande; aktivitetsstöd and bistånd
      every month, registered at Arbetsförmedlingen.
  P8  on sf02's waiting list since 2025-05-01; studies (folkhögskola) every month.
"""

from __future__ import annotations

import calendar
import hashlib
from collections import defaultdict
from datetime import date
from decimal import Decimal

from tests.conftest import deliver, pid, query
from utfall.warehouse.dbt_build import build
from utfall.ingest.loader import load

P1, P2, P3, P4, P5, P6, P7, P8 = (pid(n) for n in range(1, 9))
FIRST, LAST = "2023-01", "2025-06"


def months(first: str, last: str) -> list[str]:
    """Every month from first to last, inclusive, as YYYY-MM."""
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def days_in(month: str) -> int:
    y, m = map(int, month.split("-"))
    return calendar.monthrange(y, m)[1]


# Per monthly feed: (person, first month, last month, row after person_id;manad). "{days}" is
# the number of days in the month (full-month benefits).
MONTHLY = {
    "fk_utbetalningar": (
        "person_id;manad;formankod;omfattning;dagar;belopp_sek;skatt_sek",
        [
            (P1, "2023-01", "2023-12", "SJP;100;{days};15000;4500"),
            (P1, "2024-01", "2024-02", "SJP;50;{days};8000;2400"),
            (P2, "2023-03", "2024-01", "AKS;100;22;7000;2100"),
            (P4, "2023-01", "2023-12", "SJP;100;{days};16000;4800"),
            (P4, "2024-01", "2024-04", "SJP;25;{days};4000;1200"),
            (P6, FIRST, LAST, "AKS;100;21;6500;1950"),
        ],
    ),
    "skv_lon": (
        "person_id;manad;arbetsgivare_sektor;bruttolon_sek;skatteavdrag_sek",
        [
            (P1, "2024-03", LAST, "PRIVAT;12000;3000"),
            (P3, "2024-09", LAST, "KOMMUN;15000;3750"),
            (P4, "2024-01", LAST, "REGION;10000;2500"),
            (P5, FIRST, LAST, "IDEELL;2000;0"),
        ],
    ),
    "csn_studiestod": (
        "person_id;manad;studieform;bidrag_sek;lan_sek",
        [
            (P2, "2024-07", LAST, "KOMVUX;3000;7000"),
            (P8, FIRST, LAST, "FOLKHOGSKOLA;2500;"),
        ],
    ),
    "kommun_bistand": (
        "person_id;manad;kommun;belopp_sek;forsorjningshinder",
        [
            (P1, "2023-01", "2023-03", "0180;2000;SJUK"),
            (P2, "2023-06", "2023-08", "0180;1500;ARBETSLOS"),
            (P3, "2023-09", "2024-08", "0180;3000;ARBETSLOS"),
            (P7, "2024-08", "2024-10", "0180;2500;OVRIGT"),
            (P6, FIRST, LAST, "0181;2000;ARBETSLOS"),
        ],
    ),
    "af_status": (
        "person_id;manad;inskriven;sokandekategori;program;lonestod_typ;lonestod_sek",
        [
            (P3, "2024-09", LAST, "J;68;;LONEBIDRAG;9000"),
            (P6, FIRST, LAST, "J;11;;;"),
        ],
    ),
}

DELTAGARE_HEADER = (
    "person_id;forbund_id;insats_id;kodatum;inskrivningsdatum;avslutsdatum;kon;fodelsear;hemkommun;"
    "utbildningsniva;status;avslutsorsak"
)
SNAPSHOTS = {
    ("deltagare", "deltagare_sf01_20250710.csv"): "\n".join([
        DELTAGARE_HEADER,
        f"{P1};sf01;sf01-ips;2023-12-01;2024-01-15;2024-05-20;K;1990;0180;gymnasium;avslutad;arbete",
        f"{P1};sf01;sf01-sed;;2024-10-01;;K;1990;0180;gymnasium;aktiv;",
        f"{P2};sf01;sf01-ips;2024-01-10;2024-02-01;2024-06-30;M;1998;0180;grundskola;avslutad;studier",
        f"{P3};sf01;sf01-ips;2024-02-01;2024-03-01;2024-12-15;K;1985;0180;eftergymnasial;avslutad;"
        "arbete_subventionerat",
        f"{P7};sf01;sf01-sed;;2024-05-01;2024-06-15;M;1979;0180;okand;avslutad;flyttat",
    ]) + "\n",
    ("deltagare", "deltagare_sf02_20250710.csv"): "\n".join([
        DELTAGARE_HEADER,
        f"{P4};sf02;sf02-ips;;2022-03-01;2023-04-20;K;1975;0181;gymnasium;avslutad;sjukskrivning",
        f"{P5};sf02;sf02-ips;2024-03-01;2024-04-10;;M;2001;0181;gymnasium;aktiv;",
        f"{P6};sf02;sf02-ips;2023-05-02;2023-06-01;2024-08-31;M;1992;0181;grundskola;avslutad;arbetssokande",
        f"{P8};sf02;sf02-ips;2025-05-01;;;K;2003;0181;gymnasium;vantar;",
    ]) + "\n",
    ("insatser", "insatser_sf01_20250710.csv"): (
        "insats_id;forbund_id;namn;metod;insatsagare;startdatum;slutdatum;malgrupp\n"
        "sf01-ips;sf01;IPS Norra;IPS;Kommunen;2020-01-01;;Psykisk funktionsnedsättning\n"
        "sf01-sed;sf01;SEd Studier;SED;Regionen;2022-01-01;;Unga vuxna\n"
    ),
    ("insatser", "insatser_sf02_20250710.csv"): (
        "insats_id;forbund_id;namn;metod;insatsagare;startdatum;slutdatum;malgrupp\n"
        "sf02-ips;sf02;IPS Södra;IPS;Kommunen;2021-09-01;;Psykisk funktionsnedsättning\n"
    ),
}


def deliver_scenario(home) -> None:
    for (feed, name), text in SNAPSHOTS.items():
        deliver(home, feed, name, text)
    for feed, (header, plan) in MONTHLY.items():
        by_month: dict[str, list[str]] = defaultdict(list)
        for person, first, last, row in plan:
            for month in months(first, last):
                by_month[month].append(f"{person};{month};{row.format(days=days_in(month))}")
        # every month of every delivered feed is present: the complete data are 2023-01 … 2025-06
        assert sorted(by_month) == months(FIRST, LAST), feed
        for month, rows in by_month.items():
            deliver(home, feed, f"{feed}_{month.replace('-', '')}.csv", "\n".join([header, *rows]) + "\n")


def normalise(row: tuple) -> tuple:
    """Decimals as floats, doubles to 9 places, dates as ISO text: comparable with literals."""
    def one(v):
        if isinstance(v, Decimal):
            return float(v)
        if isinstance(v, float):
            return round(v, 9)
        if isinstance(v, date):
            return v.isoformat()
        return v
    return tuple(one(v) for v in row)


def episode_id(forbund: str, insats: str, person: str, queued: str | None, entered: str) -> str:
    return hashlib.md5("|".join([forbund, insats, person, queued or "-", entered]).encode()).hexdigest()


F, T, _ = False, True, None

# core.fct_episodes, every column in order: episode_id, forbund_id, insats_id, person_id, sex,
# birth_year, age_at_entry, home_kommun_code, education_level, queued_on, entered_on, exited_on,
# entry_year, exit_year, register_status, exit_reason, waiting_days, months_in_insats,
# status_before_entry, status_after_exit, is_self_supporting_after_exit, status_6m,
# is_self_supporting_6m, status_12m, is_self_supporting_12m, status_24m, is_self_supporting_24m,
# has_complete_before_window, support_fk/af/kommun_sek_before, support_fte_before,
# has_complete_after_window, support_fk/af/kommun_sek_after, support_fte_after,
# months_to_first_work, first_work_censored, is_working_before_entry
EXPECTED_EPISODES = [
    # P1: 45 days in the queue; 127 days in the insats = 5 months of 30.4 days. Before (2023-01 … 2023-12):
    # 12 × 15,000 FK, 3 × 2,000 bistånd, 365/365 + 3/12 = 1.25 helårsekvivalenter → capped at 1.
    # Month after exit (2024-06), +6 (2024-11), +12 (2025-05): the job, self-supporting; +24 beyond the data.
    # After window 2024-06 … 2025-05: no support. First work in March: 2 months after the January entry.
    (episode_id("sf01", "sf01-ips", P1, "2023-12-01", "2024-01-15"), "sf01", "sf01-ips", P1, "K", 1990, 34,
     "0180", "gymnasium", "2023-12-01", "2024-01-15", "2024-05-20", 2024, 2024, "avslutad", "arbete", 45, 5,
     "ohalsa", "arbete", T, "arbete", T, "arbete", T, _, _,
     T, 180000.0, 0.0, 6000.0, 1.0,
     T, 0.0, 0.0, 0.0, 0.0,
     2, F, F),
    # P2: 22 days queued; 151 days = 5 months. Before (2023-02 … 2024-01): 11 months of aktivitetsstöd
    # (7,000 SEK, 22 days: 242/365) and 3 of bistånd (1,500 SEK, 3/12). After exit: studies, self-supporting
    # at +1, +6 and +12 (2025-06, the last complete month). No work from Feb 2024, in the insats or after it,
    # to the end of complete data (2025-06): followed past exit, censored after 16 months.
    (episode_id("sf01", "sf01-ips", P2, "2024-01-10", "2024-02-01"), "sf01", "sf01-ips", P2, "M", 1998, 26,
     "0180", "grundskola", "2024-01-10", "2024-02-01", "2024-06-30", 2024, 2024, "avslutad", "studier", 22, 5,
     "arbetsmarknadsstod", "studier", T, "studier", T, "studier", T, _, _,
     T, 0.0, 77000.0, 4500.0, round(242 / 365 + 3 / 12, 9),
     T, 0.0, 0.0, 0.0, 0.0,
     16, T, F),
    # P3: 29 days queued; 290 days = 10 months. Before (2023-03 … 2024-02): bistånd 2023-09 … 2024-02,
    # 6 × 3,000 SEK and 6/12. Lönebidrag job from 2024-09: 6 months after the March entry. +1 (2025-01) lies
    # after the exit year, so P3 is not followable at exit (the outcome at exit is as known at the year's end);
    # +6 (2025-06): work with lönestöd, no bistånd → self-supporting; +12 (2025-12) not yet followable, so
    # the after window (to 2025-12) is incomplete too.
    (episode_id("sf01", "sf01-ips", P3, "2024-02-01", "2024-03-01"), "sf01", "sf01-ips", P3, "K", 1985, 39,
     "0180", "eftergymnasial", "2024-02-01", "2024-03-01", "2024-12-15", 2024, 2024, "avslutad",
     "arbete_subventionerat", 29, 10,
     "ekonomiskt_bistand", _, _, "arbete_subventionerat", T, _, _, _, _,
     T, 0.0, 0.0, 18000.0, 0.5,
     F, _, _, _, _,
     6, F, F),
    # P4: no queue; 416 days = 14 months; entered 2022-03, before the data: no status before, no before
    # window, no time to first work. +1 (2023-05) and +6 (2023-10): sjukpenning; +12 (2024-04): a job of
    # 10,000 ≥ 7,200 beside quarter sjukpenning → arbete, not self-supporting; +24 (2025-04): the job alone.
    # After window 2023-05 … 2024-04: 8 × 16,000 + 4 × 4,000 FK; (245 + 121/4)/365 helårsekvivalenter.
    (episode_id("sf02", "sf02-ips", P4, None, "2022-03-01"), "sf02", "sf02-ips", P4, "K", 1975, 47,
     "0181", "gymnasium", _, "2022-03-01", "2023-04-20", 2022, 2023, "avslutad", "sjukskrivning", _, 14,
     _, "ohalsa", F, "ohalsa", F, "arbete", F, "arbete", T,
     F, _, _, _, _,
     T, 144000.0, 0.0, 0.0, round(275.25 / 365, 9),
     _, _, _),
]

FTE_BEFORE_SF01_IPS = 1.0 + 242 / 365 + 3 / 12  # P1 (capped) + P2; P3's after window is incomplete

# marts.mart_outcomes_year: forbund_id, insats_id, exit_year, ended, exit_work, exit_subsidised_work,
# exit_studies, exit_job_seeking, exit_sickness, exit_deceased, exit_other, followable_after_exit,
# direct_work_or_studies, share, followable_6m, self_supporting_6m, share, followable_12m,
# self_supporting_12m, share, followable_24m, self_supporting_24m, share,
# episodes_with_complete_windows, support_fte_before, support_fte_after, support_fk_sek_before,
# support_fk_sek_after, support_af_sek_before, support_af_sek_after, support_kommun_sek_before,
# support_kommun_sek_after
EXPECTED_OUTCOMES = [
    # P1, P2 directly to work or studies (P3's December exit is not followable at exit); at 6 months all
    # three followable and self-supporting;
    # at 12 months P3 is not yet followable (2 of 2); nobody at 24. Windows complete for P1 and P2.
    ("sf01", "sf01-ips", 2024, 3, 1, 1, 1, 0, 0, 0, 0, 2, 2, 1.0, 3, 3, 1.0, 2, 2, 1.0, 0, 0, _,
     2, round(FTE_BEFORE_SF01_IPS, 9), 0.0, 180000.0, 0.0, 77000.0, 0.0, 10500.0, 0.0),
    # P7: moved; 'ingen' at +1, +6, +12; both windows complete; 3 months of bistånd (2,500) after.
    ("sf01", "sf01-sed", 2024, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0.0, 1, 0, 0.0, 1, 0, 0.0, 0, 0, _,
     1, 0.0, 0.25, 0.0, 0.0, 0.0, 0.0, 0.0, 7500.0),
    # P4: sjukpenning at +1 and +6, working but not self-supporting at +12, self-supporting at +24.
    ("sf02", "sf02-ips", 2023, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0.0, 1, 0, 0.0, 1, 0, 0.0, 1, 1, 1.0,
     0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    # P6: aktivitetsstöd at +1 (2024-09) and +6 (2025-02); +12 (2025-08) not yet followable.
    ("sf02", "sf02-ips", 2024, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0.0, 1, 0, 0.0, 0, 0, _, 0, 0, _,
     0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
]

# marts.mart_transitions_year: status the month before entry → status 12 months after the exit month.
# P3 (12 months not yet followable), P4 (entered before the data) and P6 (12 months not yet
# followable) are left out.
EXPECTED_TRANSITIONS = [
    ("sf01", "sf01-ips", 2024, "arbetsmarknadsstod", "studier", 1),  # P2
    ("sf01", "sf01-ips", 2024, "ohalsa", "arbete", 1),  # P1
    ("sf01", "sf01-sed", 2024, "ingen", "ingen", 1),  # P7
]

# marts.mart_national_year: year, forbund_id, participants_active, new_entries, ended,
# direct_work_or_studies, followable_after_exit, share_direct_work_or_studies, followable_12m,
# self_supporting_12m, share_self_supporting_12m, support_fte_before, support_fte_after,
# episodes_with_complete_windows
EXPECTED_NATIONAL = [
    (2022, "riket", 1, 1, 0, 0, 0, _, 0, 0, _, 0.0, 0.0, 0),
    (2022, "sf02", 1, 1, 0, 0, 0, _, 0, 0, _, 0.0, 0.0, 0),  # P4 entered
    (2023, "riket", 2, 1, 1, 0, 1, 0.0, 1, 0, 0.0, 0.0, 0.0, 0),
    (2023, "sf02", 2, 1, 1, 0, 1, 0.0, 1, 0, 0.0, 0.0, 0.0, 0),  # P4 ended, P6 entered
    # 6 persons (P1 twice in sf01 counts once), 6 entries, shares from the summed counts: 3/5 and 2/3
    (2024, "riket", 6, 6, 5, 2, 4, 0.5, 3, 2, round(2 / 3, 9), round(FTE_BEFORE_SF01_IPS, 9), 0.25, 3),
    # P1, P2, P3, P7 active; entries P1 (twice), P2, P3, P7; 2 of the 3 followable at exit went directly
    # to work or studies
    (2024, "sf01", 4, 5, 4, 2, 3, round(2 / 3, 9), 3, 2, round(2 / 3, 9), round(FTE_BEFORE_SF01_IPS, 9), 0.25, 3),
    (2024, "sf02", 2, 1, 1, 0, 1, 0.0, 0, 0, _, 0.0, 0.0, 0),  # P5 entered, P6 ended
    (2025, "riket", 2, 0, 0, 0, 0, _, 0, 0, _, 0.0, 0.0, 0),
    (2025, "sf01", 1, 0, 0, 0, 0, _, 0, 0, _, 0.0, 0.0, 0),  # P1's open sf01-sed episode
    (2025, "sf02", 1, 0, 0, 0, 0, _, 0, 0, _, 0.0, 0.0, 0),  # P5, open
]


def test_outcomes_transitions_and_national_marts_match_the_hand_computed_rows(home):
    deliver_scenario(home)
    report = load(home)
    assert report.exit_code == 0, [(o.file_name, o.status) for o in report.outcomes if o.status != "loaded"]
    result = build(home)
    assert result.success, result.failures

    period = "SELECT first_month::VARCHAR, last_complete_month::VARCHAR FROM intermediate.int_data_period"
    assert query(home, period) == [("2023-01-01", "2025-06-01")]

    for expected in EXPECTED_EPISODES:
        rows = query(home, "SELECT * FROM core.fct_episodes WHERE episode_id = ?", [expected[0]])
        assert [normalise(r) for r in rows] == [normalise(expected)]

    assert [normalise(r) for r in query(home, "SELECT * FROM marts.mart_outcomes_year ORDER BY ALL")] == [
        normalise(e) for e in EXPECTED_OUTCOMES
    ]
    assert [normalise(r) for r in query(home, "SELECT * FROM marts.mart_transitions_year ORDER BY ALL")] == [
        normalise(e) for e in EXPECTED_TRANSITIONS
    ]
    assert [normalise(r) for r in query(home, "SELECT * FROM marts.mart_national_year ORDER BY year, forbund_id")] == [
        normalise(e) for e in EXPECTED_NATIONAL
    ]
    # person-free: no person_id in any of the three marts
    assert query(home, "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'marts' AND table_name "
                       "IN ('mart_outcomes_year', 'mart_transitions_year', 'mart_national_year') "
                       "AND column_name = 'person_id'") == [(0,)]
