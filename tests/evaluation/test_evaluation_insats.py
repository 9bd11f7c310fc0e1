"""Issue 16, the per-insats sections on hand-made figures: the flows identity and its
suppression, the jobs by employer sector, the compact participants table, the description and
the fidelity items by name. Expected values are worked out by hand in the comments.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from utfall.evaluation.render_format import THIN
from utfall.evaluation.tables_common import Links, table
from utfall.evaluation.tables_data import Insats
from utfall.evaluation.tables_insats import (
    END_STOCK, ENDED_FLOW, NEW_ENTRIES, NEITHER, START_STOCK, WORK_OR_STUDIES, WORK_OR_STUDIES_ROWS,
    description_table, fidelity_tables, flow_identity, jobs_table, participant_tables, time_to_work_table,
)
from utfall.evaluation.suppression import TableSpec, find_disclosures

REPO = Path(__file__).resolve().parents[2]
INS = Insats("sf02-ips1", "IPS Göteborg", "IPS")
T = 5


def months(start: int, new: list[int], ended: list[int]) -> pd.DataFrame:
    """mart_flows_month rows for one insats: each month's end is its start + new − ended."""
    rows, stock = [], start
    for i, (n, e) in enumerate(zip(new, ended)):
        rows.append({"insats_id": INS.insats_id, "month_start": pd.Timestamp(2025, i + 1, 1), "active_start": stock,
                     "new_entries": n, "ended": e, "active_end": stock + n - e})
        stock += n - e
    return pd.DataFrame(rows)


def identity(start: int, new: list[int], ended: list[int], persons: int):
    rt, forced = flow_identity(INS, months(start, new, ended), 2025, T, persons)
    return rt.suppressed.display["Antal"], forced, rt


def test_the_flows_add_up_and_all_four_are_shown_when_none_is_small():
    # 20 + (4 + 6) − (5 + 3) = 22
    shown, forced, rt = identity(20, [4, 6], [5, 3], persons=30)
    assert list(shown) == [20, 10, 8, 22] and forced == set()
    assert list(shown.index) == [START_STOCK, NEW_ENTRIES, ENDED_FLOW, END_STOCK]
    assert "skrevs in på nytt" not in rt.note  # 20 + 10 = 30 persons: no re-enrolment


def test_one_small_flow_hides_the_start_stock_too():
    # 20 + 3 − 8 = 15. Nya 3 is small; with the other three shown it would be 15 + 8 − 20 = 3, so the
    # start stock (shown nowhere else) is hidden as well: start + nya = 23 with start >= 5, nya 1–4.
    shown, forced, _ = identity(20, [1, 2], [4, 4], persons=23)
    assert list(shown) == ["..", "<5", 8, 15] and forced == {START_STOCK}


def test_a_small_start_stock_hides_the_stock_at_the_end():
    # 3 + 10 − 6 = 7. The start stock 3 is small; the next figure hidden is the end stock (7):
    # start − end = −4 with start 1–4 and end >= 5 leaves start anywhere in 1–4.
    shown, forced, _ = identity(3, [5, 5], [3, 3], persons=13)
    assert list(shown) == ["<5", 10, 6, ".."] and forced == {END_STOCK}


def test_zeros_stay_and_two_small_flows_protect_each_other():
    # 0 + 3 − 3 = 0: nya = avslutade, both 1–4, neither determined; zeros may be shown
    shown, forced, _ = identity(0, [3, 0], [0, 3], persons=3)
    assert list(shown) == [0, "<5", "<5", 0] and forced == set()


def test_re_enrolments_are_explained_not_hidden_in_the_sum():
    # 20 + 10 inskrivningar but 27 persons: three came back during the year
    _, _, rt = identity(20, [4, 6], [5, 3], persons=27)
    assert "skrevs in på nytt" in rt.note


def test_a_forced_new_entry_is_hidden_in_the_year_by_year_table_through_links():
    from utfall.evaluation.tables_insats import flow_tables

    flows = months(20, [1, 2] + [0] * 10, [4, 4] + [0] * 10).assign(
        waiting_end=0, median_wait_days=None, coach_fte=2.0, active_per_coach_fte=7.5)
    register = pd.DataFrame({"insats_id": [], "month_start": [], "waiting_end": [], "status_passive_end": []})
    links = Links()
    tables, _ = flow_tables(INS, flows, register, 2025, T, {}, pd.Series({"new": 3, "ended_flow": 8}), links, 23)
    assert [t.key for t in tables] == ["sf02-ips1_flodesbalans", "sf02-ips1_arsflode", "sf02-ips1_manader_flode"]
    assert tables[1].suppressed.display.at["2025", NEW_ENTRIES] == "<5"
    assert links.is_hidden(INS.insats_id, "new")


def categories(hidden_part: bool) -> object:
    """The work-and-studies table's first column (only what jobs_table reads): work 12 = 7 + 3 + 2
    (+ studier 0); with hidden_part, arbete och studier is 2 (<5) and lönestöd hidden beside it."""
    rows = [WORK_OR_STUDIES, *(lab for _, lab in WORK_OR_STUDIES_ROWS), NEITHER]
    values = [12, 7, 3, 2, 0, 9] if hidden_part else [17, 7, 5, 5, 0, 9]
    frame = pd.DataFrame({"2025: vid avslut": values}, index=rows)
    return table("c", "c", frame, TableSpec(counts=["2025: vid avslut"],
                                               total_rows={WORK_OR_STUDIES: rows[1:5]}), T)


def jobs(**persons) -> pd.DataFrame:
    """SECTOR_yes/_no=n: persons by sector with (yes) or without (no) lönestöd."""
    return pd.DataFrame([{"insats_id": INS.insats_id, "employer_sector": k.split("_")[0],
                          "is_subsidised_work": k.endswith("_yes"), "persons": v} for k, v in persons.items()],
                        columns=["insats_id", "employer_sector", "is_subsidised_work", "persons"])


def test_jobs_by_sector_and_lonestod_with_totals():
    # utan lönestöd: privat 8, kommun 5, region 0, staten 0, ideell 0 = 13; med: privat 5, kommun 0 = 5
    tables, text = jobs_table(INS, jobs(PRIVAT_no=8, PRIVAT_yes=5, KOMMUN_no=5), categories(False), 2025, T)
    d = tables[0].suppressed.display
    assert d.at["Privat arbetsgivare", "Utan lönestöd"] == 8 and d.at["Privat arbetsgivare", "Med lönestöd"] == 5
    assert d.at["Totalt", "Totalt"] == 18 and d.at["Kommun", "Totalt"] == 5
    assert "18 personer arbete" in text and "privata arbetsgivare" in text
    assert find_disclosures(tables[0].suppressed) == []
    assert "avslutade 2025" in tables[0].title


def test_jobs_small_cells_are_hidden_with_a_second_in_each_line():
    # privat 9 + 2 (lönestöd), kommun 6 + 0: the lönestöd column's total 2 is small, so its breakdown is
    # hidden whole ('..'), and with it the other cell of each row; the sectors' totals stay
    tables, _ = jobs_table(INS, jobs(PRIVAT_no=9, PRIVAT_yes=2, KOMMUN_no=6), categories(False), 2025, T)
    sup = tables[0].suppressed
    assert sup.display.to_dict("index") == {
        "Privat arbetsgivare": {"Utan lönestöd": "..", "Med lönestöd": "..", "Totalt": 11},
        "Kommun": {"Utan lönestöd": "..", "Med lönestöd": "..", "Totalt": 6},
        "Totalt": {"Utan lönestöd": "..", "Med lönestöd": "<5", "Totalt": 17}}
    assert find_disclosures(sup) == []


def test_where_the_work_categories_hide_a_part_the_jobs_total_is_hidden_too():
    # privat 7, kommun 5 (12 persons): the categories hide 'arbete och studier' (2), so their total 12
    # must not be shown here: the split by lönestöd goes, the total and the smallest sector (kommun) are hidden
    tables, text = jobs_table(INS, jobs(PRIVAT_no=4, PRIVAT_yes=3, KOMMUN_no=5), categories(True), 2025, T)
    d = tables[0].suppressed.display
    assert list(d.columns) == ["Personer"]
    assert d.at["Totalt", "Personer"] == ".." and d.at["Kommun", "Personer"] == ".."
    assert d.at["Privat arbetsgivare", "Personer"] == 7
    assert "personer arbete" not in text


def test_nobody_in_work_is_said_in_words():
    tables, text = jobs_table(INS, jobs(), categories(False), 2025, T)
    assert tables == [] and "Ingen av dem som avslutade 2025" in text


def participants(**blocks) -> pd.DataFrame:
    rows = [{"insats_id": INS.insats_id, "dimension": "total", "category": "total", "category_label": "Totalt",
             "persons": 20}]
    for dim, cats in blocks.items():
        rows += [{"insats_id": INS.insats_id, "dimension": dim, "category": c, "category_label": label, "persons": n}
                 for c, label, n in cats]
    return pd.DataFrame(rows)


def test_participants_in_one_table_each_variable_suppressed_on_its_own():
    # kön: 3 + 17 = 20: kvinnor 3 small, män hidden beside it (else 20 − 17); utbildning 12 + 8 = 20 shown;
    # support at start is no sum (a person can have two kinds): 9 and 2, only the 2 hidden
    part = participants(
        sex=[("K", "Kvinnor", 3), ("M", "Män", 17)],
        education_level=[("gymnasium", "Gymnasium", 12), ("hogskola", "Högskola", 8)],
        support_at_start=[("ohalsa", "Ersättning vid ohälsa", 9), ("boendestod", "Boendestöd", 2)],
    )
    links = Links()
    tables, charts, left_out = participant_tables(INS, part, T, links)
    assert len(tables) == 1 and charts == [] and left_out == []
    d = tables[0].suppressed.display
    assert list(d.index) == ["Totalt", "Kön", "Kvinnor", "Män", "Utbildning", "Gymnasium", "Högskola",
                             "Försörjning före start", "Ersättning vid ohälsa", "Boendestöd"]
    assert list(d["Personer"]) == [20, None, "<5", "..", None, 12, 8, None, 9, "<5"]
    assert d.at["Gymnasium", "Andel"] == pytest.approx(0.6)
    assert not links.is_hidden(INS.insats_id, "active")


def test_the_description_names_what_the_registers_say_and_leaves_out_what_they_do_not():
    desc = pd.DataFrame([{"insats_id": INS.insats_id, "method": "IPS", "operator": "Arbetsmarknadsenheten",
                          "target_group": "Personer med psykisk ohälsa", "started_on": pd.Timestamp(2018, 2, 1),
                          "ended_on": None, "budget_sek": 3_000_000, "cost_sek": None, "coach_fte": 3.2,
                          "goal_share_work": 0.2, "goal_share_studies": None, "goal_share_occupation": None,
                          "goal_participants_per_coach": 20}])
    d = description_table(INS, desc, 2025, T).suppressed.display["Uppgift"]
    assert d["Metod"] == "IPS (Individual Placement and Support)" and d["Insatsägare"] == "Arbetsmarknadsenheten"
    assert d["Startade"] == "2018-02-01" and "Avslutades" not in d.index
    assert d["Budget och kostnad 2025"] == f"budget 3{THIN}000{THIN}000{THIN}kr, kostnad inte rapporterad"
    assert d["Mål 2025"] == f"20{THIN}% av de avslutade till arbete; högst 20 deltagare per årsarbetare"
    assert not any("finansier" in str(v).lower() for v in d)  # not delivered: nothing said


def items() -> pd.DataFrame:
    with open(REPO / "seeds" / "ips25_items.csv", encoding="utf-8") as f:
        return pd.DataFrame(list(csv.DictReader(f))).astype({"item": int})


def review(scores: list[int]) -> pd.DataFrame:
    return pd.DataFrame([{"insats_id": INS.insats_id, "reviewed_on": pd.Timestamp(2025, 10, 25),
                          "total_score": sum(scores), **{f"item_{i:02d}": s for i, s in enumerate(scores, 1)}}])


def test_fidelity_band_strengths_and_development_areas_by_name():
    # 22 items at 4, item 1 at 5, item 9 at 5, item 17 at 3: 88 + 10 + 3 = 101, 'stämmer bra överens'
    scores = [4] * 25
    scores[0], scores[8], scores[16] = 5, 5, 3
    tables, charts, text = fidelity_tables(INS, review(scores), 2025, T, items())
    assert sum(scores) == 101 and charts == []
    assert "101 av 125 poäng: insatsen stämmer bra överens med IPS" in text
    assert "Styrkor (punkter med full poäng, 5): antal deltagare per jobbcoach och inga uteslutningskriterier." in text
    assert "Utvecklingsområden (punkter med 3 poäng eller lägre): täta kontakter med arbetsgivare (3)." in text
    d = tables[0].suppressed.display["Poäng (1–5)"]
    assert list(d.index[:5]) == ["Bemanning", "1. Antal deltagare per jobbcoach",
                                 "2. Jobbcoacherna arbetar bara med stöd till arbete",
                                 "3. Jobbcoachen ger hela stödet till arbete", "Organisation"]
    assert d["Tjänster"] is None and d["17. Täta kontakter med arbetsgivare"] == 3 and d["9. Inga uteslutningskriterier"] == 5
    assert d["Totalpoäng (25–125)"] == 101 and len(d) == 25 + 3 + 1


@pytest.mark.parametrize(("total", "band"), [(125, "stämmer mycket bra överens med IPS"),
                                             (115, "stämmer mycket bra överens med IPS"),
                                             (114, "stämmer bra överens med IPS"),
                                             (99, "stämmer delvis överens med IPS"),
                                             (74, "stämmer delvis överens med IPS"),
                                             (73, "stämmer inte överens med IPS")])
def test_a_review_with_only_a_total_gives_the_band_in_the_reviews_wording(total, band):
    fid = pd.DataFrame([{"insats_id": INS.insats_id, "reviewed_on": pd.Timestamp(2025, 3, 1), "total_score": total,
                         **{f"item_{i:02d}": None for i in range(1, 26)}}])
    tables, _, text = fidelity_tables(INS, fid, 2025, T, items())
    assert f"insatsen {band}." in text and "bara totalpoängen" in text
    assert tables[0].suppressed.display.iloc[0]["Bedömning"] == band


def test_the_item_seed_has_25_items_in_the_three_areas():
    it = items()
    assert list(it["item"]) == list(range(1, 26))
    assert it.groupby("area").size().to_dict() == {"Bemanning": 3, "Organisation": 8, "Tjänster": 14}


def test_time_to_work_leaves_out_month_0_which_would_give_away_a_hidden_count_already_in_work():
    """231 inskrivningar (shown year by year elsewhere), 3 already in work (hidden as <5): at month 0,
    228 are followed, and 231 − 228 would be the hidden 3. From month 3 on, work found and people
    no longer followed both lower the figure, so it tells nothing exact."""
    ttw = pd.DataFrame({"insats_id": [INS.insats_id] * 3, "month_since_entry": [0, 3, 6],
                        "at_risk": [228, 205, 171], "share_in_work": [0.0, 0.05, 0.12],
                        "working_before_entry": [3, 3, 3]})
    tables, _ = time_to_work_table(INS, ttw, T)
    curve, already = tables
    assert list(curve.suppressed.display.index) == ["3 mån", "6 mån"]
    assert 228 not in curve.suppressed.display.to_numpy().ravel().tolist()
    assert already.suppressed.display.iloc[0, 0] == "<5"
