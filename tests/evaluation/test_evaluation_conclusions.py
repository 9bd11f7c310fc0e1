"""Goal verdicts and conclusion rules (evaluation/conclusions.py) on hand-made figures.

Every input is a display value as a table shows it: a figure, '<5', '..' or None. The expected
verdicts are worked out by hand in the comments.
"""

from __future__ import annotations

from utfall.evaluation.conclusions import (
    MAX_CONCLUSIONS, Conclusion, GoalFigure, Judgement, Verdict, caseload_rule, change_rule, fidelity_rule, goals_rule,
    judge_caseload, judge_occupation, judge_share, national_rule, select, verdict_css,
)

T = 5


def test_shown_share_met_and_not_met():
    # 8 of 40 = 20 % reaches a 20 % goal exactly; 7 of 40 = 17.5 % does not
    assert judge_share([8], 40, 0.20, T).verdict is Verdict.MET
    assert judge_share([7], 40, 0.20, T).verdict is Verdict.NOT_MET
    assert judge_share([7], 40, 0.20, T).text == "✗ Ej uppnått"
    assert judge_share([8], 40, 0.20, T).text == "✓ Uppnått"


def test_hidden_small_count_judged_not_met_from_its_bound():
    # '<5' of 40: at most 4/40 = 10 % < 20 %: not met, whatever the hidden count is
    j = judge_share(["<5"], 40, 0.20, T)
    assert j.verdict is Verdict.NOT_MET and j.from_bound
    # at most 4/40 = 10 %: nothing beyond what '<5' and the 40 shown already say
    assert j.text == "✗ Ej uppnått (högst 10\u202f%; ett antal färre än 5 visas inte)"
    assert not any(str(n) in j.text.replace("färre än 5", "").replace("10\u202f%", "") for n in range(1, 5))


def test_hidden_small_count_judged_met_from_its_bound():
    # '<5' of 40 against a 2 % goal: at least 1/40 = 2.5 % >= 2 %: met
    j = judge_share(["<5"], 40, 0.02, T)
    # at least 1/40 = 2.5 %, shown rounded down (never 'minst 3 %')
    assert j.verdict is Verdict.MET and j.text == "✓ Uppnått (minst 2\u202f%; ett antal färre än 5 visas inte)"


def test_work_goal_met_by_arbete_alone_though_lonestod_is_hidden():
    """The issue's case: 1–4 left for a lönestöd job ('<5'), 10 of 40 for arbete: 10/40 = 25 % already
    reaches 20 %, so the goal is met (the goal table's own work count is hidden as '..')."""
    j = judge_share([10, "<5"], 40, 0.20, T, shown_total="..")
    assert j.verdict is Verdict.MET and j.from_bound
    # at least 10 + 1 of 40 = 27.5 %, rounded down
    assert j.text == "✓ Uppnått (minst 27\u202f%; ett antal färre än 5 visas inte)"
    # the same with the lönestöd part hidden as '..' (0..40): still at least 10/40
    assert judge_share([10, ".."], 40, 0.20, T, shown_total="..").verdict is Verdict.MET
    assert judge_share([10, ".."], 40, 0.20, T, shown_total="..").text == "✓ Uppnått (minst 25\u202f%; ett antal visas inte)"


def test_bound_that_does_not_decide():
    # '<5' of 20 against 10 %: between 1/20 = 5 % and 4/20 = 20 %: below or above the goal
    j = judge_share(["<5"], 20, 0.10, T)
    assert j.verdict is Verdict.UNKNOWN
    assert j.text == "– Kan inte bedömas: det dolda antalet kan ligga både under och över målet"
    # 6 of 40 shown for arbete, lönestöd '<5': 7/40 = 17.5 % to 10/40 = 25 % against 20 %
    assert judge_share([6, "<5"], 40, 0.20, T, shown_total="..").verdict is Verdict.UNKNOWN


def test_shown_total_decides_though_parts_are_hidden():
    # the goal table shows 9 in work (both parts '<5' in the reasons table): 9/40 = 22.5 % >= 20 %,
    # judged from the shown figure, not from a bound
    j = judge_share(["<5", "<5"], 40, 0.20, T, shown_total=9)
    assert j.verdict is Verdict.MET and not j.from_bound


def test_no_goal_no_exits_hidden_denominator():
    assert judge_share([3], 40, None, T).verdict is Verdict.NO_GOAL
    assert judge_share([3], 40, None, T).text == "– Inget mål rapporterat"
    assert judge_share([0], 0, 0.2, T).text == "– Kan inte bedömas: inga avslut under året"
    assert judge_share(["<5"], "<5", 0.2, T).text == "– Kan inte bedömas: antalet avslutade är dolt"
    assert judge_occupation(0.1).text == "– Kan inte bedömas: ingen källa anger sysselsättning"
    assert judge_occupation(None).verdict is Verdict.NO_GOAL


def test_caseload_judged_over_the_year():
    assert judge_caseload(0, 12, 20).text == "✓ Uppnått"
    assert judge_caseload(3, 12, 20).text == "✗ Ej uppnått (3 av 12 månader över målet)"
    assert judge_caseload(5, 12, None).verdict is Verdict.NO_GOAL
    assert judge_caseload(0, 0, 20).text == "– Kan inte bedömas: inga årsarbetare jobbcoach rapporterade"


def test_verdict_colour_classes():
    assert verdict_css("✓ Uppnått (minst 27\u202f%; ett antal färre än 5 visas inte)") == "verdict-met"
    assert verdict_css("✗ Ej uppnått") == "verdict-not-met"
    assert verdict_css("– Kan inte bedömas: inga avslut under året") == "verdict-unknown"
    assert verdict_css("– Inget mål rapporterat") == "verdict-no-goal"
    assert verdict_css("–") == "" and verdict_css("Uppnått") == ""


# --- conclusion rules -----------------------------------------------------------------------

MET = Judgement(Verdict.MET)
NOT_MET = Judgement(Verdict.NOT_MET)


def test_goals_rule_met_and_not_met_with_figures_and_table():
    c = goals_rule("IPS Nord", [GoalFigure("arbete", "32 %", "20 %", MET),
                                GoalFigure("studier", "3 %", "10 %", NOT_MET)], 2025)
    assert c == Conclusion("Bland avsluten 2025 i IPS Nord nåddes målet för arbete (32 % mot målet 20 %), men inte "
                           "målet för studier (3 % mot målet 10 %) (tabell Måluppfyllelse).", "Måluppfyllelse")


def test_goals_rule_from_a_hidden_count_says_so_without_a_figure():
    judged = judge_share(["<5"], 40, 0.20, T)
    c = goals_rule("IPS Nord", [GoalFigure("arbete", "", "20 %", judged)], 2025)
    # at most 4 of 40 = 10 %: what '<5' and the 40 shown already say
    assert c.text == ("Bland avsluten 2025 i IPS Nord nåddes inte målet för arbete (högst 10\u202f% mot målet 20 %) "
                      "(tabell Måluppfyllelse).")
    # a goal the figures cannot decide gives no sentence
    unknown = judge_share(["<5"], 20, 0.10, T)
    assert goals_rule("IPS Nord", [GoalFigure("arbete", "", "10 %", unknown)], 2025) is None


def test_caseload_rule():
    assert caseload_rule("IPS Nord", 4, 12, "högst 20").text == (
        "IPS Nord hade fler deltagare per årsarbetare jobbcoach än målet (högst 20) vid 4 av 12 månadsskiften "
        "(tabell Måluppfyllelse).")
    assert "vid alla 12 månadsskiften" in caseload_rule("IPS Nord", 0, 12, "högst 20").text
    assert caseload_rule("IPS Nord", 0, 0, "högst 20") is None  # no coach FTE reported: no months judged


def test_change_rule():
    nb = "\u202f"  # the thin space the tables put before %
    up = change_rule("IPS Nord", 0.38, 0.24, 2025, "IPS Nord: år för år")
    assert up.text == (f"Andelen av avsluten i IPS Nord som ledde direkt till arbete eller studier ökade från "
                       f"24{nb}% 2024 till 38{nb}% 2025 (tabell IPS Nord: år för år).")
    # 4 percentage points is below the 5 that count as a change
    same = change_rule("IPS Nord", 0.30, 0.26, 2025, "T")
    assert f"var ungefär densamma som året före (26{nb}% 2024, 30{nb}% 2025)" in same.text
    assert "minskade från 51" in change_rule("IPS Nord", 0.34, 0.51, 2025, "T").text
    # a hidden share last year: no comparison
    assert change_rule("IPS Nord", 0.30, "..", 2025, "T") is None


def test_fidelity_and_national_rules():
    assert fidelity_rule("IPS Nord", 105, "stämmer bra överens med IPS", "2025-10-25",
                         "IPS Nord: programtrohet").text == (
        "Den senaste granskningen av programtroheten i IPS Nord (2025-10-25) gav 105 av 125 poäng, vilket innebär "
        "att insatsen stämmer bra överens med IPS (tabell IPS Nord: programtrohet).")
    assert fidelity_rule("IPS Nord", None, "", "", "T") is None
    nb = "\u202f"
    assert national_rule(0.25, 0.31, 2024, "Riket").text == (
        f"Av förbundets avslut 2024 som kan följas upp var 25{nb}% i egen försörjning 12 månader efter avslut, "
        f"mot 31{nb}% i riket (tabell Riket).")
    assert national_rule("..", 0.31, 2024, "Riket") is None


def test_select_keeps_order_and_at_most_six():
    cs = [Conclusion(f"Mening {i}.", "T") for i in range(8)]
    assert select([None, *cs]) == cs[:MAX_CONCLUSIONS]
    assert MAX_CONCLUSIONS == 6
