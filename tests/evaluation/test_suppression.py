"""The suppression layer on hand-made tables, each worked out by hand (threshold 5 unless said).

Notation in the comments: h = hidden, P = primary (1..4), S = secondary, B = breakdown of a
small hidden total (shown `..`).
"""

from __future__ import annotations

import hashlib
import itertools
import math

import numpy as np
import pandas as pd
import pytest

from utfall.evaluation.suppression import HIDDEN, Reason, TableSpec, find_disclosures, resolve_threshold, suppress

T = "Totalt"


def hidden_cells(s, reason: Reason | None = None) -> set[tuple]:
    out = set()
    for row in s.reasons.index:
        for col in s.reasons.columns:
            r = s.reasons.at[row, col]
            if r != Reason.SHOWN and (reason is None or r == reason):
                out.add((row, col))
    return out


# --- the tables ---------------------------------------------------------------------------

OUTCOME_COUNTS = ["ended", "exit_work", "exit_studies", "exit_other"]


def outcome_table() -> tuple[pd.DataFrame, TableSpec]:
    """A förbund × insats outcome table: ended = sum of the exit columns, a Totalt row, a share
    and a SEK sum over the ended (the SEK sum adds up over rows)."""
    df = pd.DataFrame(
        {
            "ended": [20, 15, 4, 39],
            "exit_work": [12, 6, 1, 19],
            "exit_studies": [3, 0, 1, 4],
            "exit_other": [5, 9, 2, 16],
            "sek_before": [1000.0, 800.0, 300.0, 2100.0],
        },
        index=["ips1", "ips2", "se1", T],
    )
    df["share_work"] = df.exit_work / df.ended
    spec = TableSpec(
        counts=OUTCOME_COUNTS,
        derived={"share_work": ("exit_work", "ended"), "sek_before": ("ended",)},
        total_columns={"ended": ("exit_work", "exit_studies", "exit_other")},
        total_rows={T: None},
        additive=[*OUTCOME_COUNTS, "sek_before"],
        name="utfall",
    )
    return df, spec


def participants(counts: dict[str, int]) -> tuple[pd.DataFrame, TableSpec]:
    """Participants by category with a Totalt row and each category's share of it."""
    df = pd.DataFrame({"persons": [*counts.values(), sum(counts.values())]}, index=[*counts, T])
    df["share"] = df.persons / df.at[T, "persons"]
    spec = TableSpec(counts=["persons"], derived={"share": ("persons", (T, "persons"))}, total_rows={T: None}, name="deltagare")
    return df, spec


STATUSES = ["arbete", "ohalsa", "ingen"]


def matrix(rows: list[list[int]]) -> tuple[pd.DataFrame, TableSpec]:
    """A 3×3 transition matrix (status before × status after) with both margins."""
    df = pd.DataFrame(rows, index=STATUSES, columns=STATUSES)
    df[T] = df.sum(axis=1)
    df.loc[T] = df.sum(axis=0)
    spec = TableSpec(counts=[*STATUSES, T], total_columns={T: STATUSES}, total_rows={T: None}, name="overgangar")
    return df, spec


# --- primary, secondary, derived, worked out by hand ------------------------------------

def test_outcome_table():
    df, spec = outcome_table()
    s = suppress(df, spec, threshold=5)
    # P: 3 (ips1 studies), all of se1 (4 = 1+1+2), Totalt studies 4.
    # B: Totalt studies (4) is a small hidden total, so its whole column is hidden: ips1 3,
    #    ips2 0, se1 1 -> the 0 becomes S; se1's row likewise (all already P).
    # Lines with one hidden cell, rows first: ips1 20 = 12 + h + 5 -> hide 5; ips2 15 = 6 + h + 9
    # -> hide 6; Totalt 39 = 19 + h + 16 -> hide 16 (the smallest part); column ended
    # 39 = 20 + 15 + h -> hide 15. Then every line has 0 or >= 2 hidden cells, and no hidden
    # cell is pinned by the labels (checked by the audit; e.g. ips1: 3 + 5 = 8 could be 2 + 6).
    assert hidden_cells(s, Reason.PRIMARY) == {
        ("ips1", "exit_studies"), ("se1", "ended"), ("se1", "exit_work"), ("se1", "exit_studies"),
        ("se1", "exit_other"), (T, "exit_studies"),
    }
    assert hidden_cells(s, Reason.SECONDARY) == {
        ("ips2", "exit_studies"), ("ips1", "exit_other"), ("ips2", "exit_work"), (T, "exit_other"), ("ips2", "ended"),
    }
    # Derived: hidden wherever ended or exit_work is hidden; Totalt's share and SEK stay.
    assert hidden_cells(s, Reason.DERIVED) == {
        ("ips2", "share_work"), ("se1", "share_work"), ("ips2", "sek_before"), ("se1", "sek_before"),
    }
    d = s.display
    # `<5` only where the count is small and not part of a small total's breakdown.
    assert [d.at["se1", "ended"], d.at[T, "exit_studies"]] == ["<5", "<5"]
    assert d.at["ips1", "exit_studies"] == HIDDEN and d.at["se1", "exit_work"] == HIDDEN
    assert d.at["ips2", "share_work"] == HIDDEN and d.at["ips2", "ended"] == HIDDEN
    # Shown totals stay exact, shown counts are ints, shown derived figures untouched.
    assert d.at[T, "ended"] == 39 and type(d.at[T, "ended"]) is int
    assert d.at["ips1", "share_work"] == pytest.approx(0.6) and d.at[T, "sek_before"] == 2100.0
    assert find_disclosures(s) == []


def test_two_small_cells_in_a_line_protect_each_other():
    df, spec = participants({"18-25": 6, "26-33": 2, "34-41": 0, "42-49": 5, "50-57": 1, "58-65": 7})
    s = suppress(df, spec, threshold=5)
    # 21 = 6 + h + 0 + 5 + h + 7: the hidden pair sums to 3, 2+1 or 1+2: no secondary needed.
    assert hidden_cells(s) == {("26-33", "persons"), ("50-57", "persons"), ("26-33", "share"), ("50-57", "share")}
    assert s.display.at["34-41", "persons"] == 0  # zero is shown
    assert s.display.at["26-33", "persons"] == "<5"


def test_one_small_cell_takes_the_next_smallest_with_it():
    df, spec = participants({"K": 9, "M": 3})
    s = suppress(df, spec, threshold=5)
    # 12 = 9 + h: 9 is hidden too; the total stays. Shares go with their counts.
    assert hidden_cells(s, Reason.PRIMARY) == {("M", "persons")}
    assert hidden_cells(s, Reason.SECONDARY) == {("K", "persons")}
    assert hidden_cells(s, Reason.DERIVED) == {("K", "share"), ("M", "share")}
    assert list(s.display["persons"]) == [HIDDEN, "<5", 12]


def test_labels_would_give_away_one_and_five():
    df, spec = participants({"A": 1, "B": 5, "C": 0})
    s = suppress(df, spec, threshold=5)
    # Line rule alone: 6 = `<5` + `..` + 0. But `<5` is 1..4 and a secondary `..` is >= 5,
    # so the reader gets 1 + 5 exactly. The audit hides the total too (C is 0: no other cell).
    assert hidden_cells(s, Reason.PRIMARY) == {("A", "persons")}
    assert hidden_cells(s, Reason.SECONDARY) == {("B", "persons"), (T, "persons")}
    assert list(s.display["persons"]) == ["<5", HIDDEN, 0, HIDDEN]
    # The total's share (1.0) depends on the hidden total, and every share on it.
    assert set(s.display["share"]) == {HIDDEN}


def test_small_total_hides_its_whole_breakdown():
    df, spec = participants({"18-25": 1, "26-33": 1, "34-41": 0, "42-49": 1, "50-57": 1, "58-65": 0})
    s = suppress(df, spec, threshold=5)
    # Total 4 over four `<5` and two 0 would say "one in each": the parts are all `..`.
    assert list(s.display["persons"]) == [HIDDEN] * 6 + ["<5"]
    assert hidden_cells(s, Reason.SECONDARY) == {("34-41", "persons"), ("58-65", "persons")}
    assert find_disclosures(s) == []


def test_transition_matrix():
    df, spec = matrix([[8, 2, 0], [6, 12, 7], [3, 9, 10]])
    s = suppress(df, spec, threshold=5)
    # P: arbete->ohalsa 2, ingen->arbete 3. Row arbete 10 = 8 + h + 0 -> hide 8; row ingen
    # 22 = h + 9 + 10 -> hide 9. Columns arbete (17 = h + 6 + h) and ohalsa (23 = h + 12 + h)
    # then hold two each: the classic rectangle; margins all shown.
    assert hidden_cells(s, Reason.PRIMARY) == {("arbete", "ohalsa"), ("ingen", "arbete")}
    assert hidden_cells(s, Reason.SECONDARY) == {("arbete", "arbete"), ("ingen", "ohalsa")}
    assert s.display.at[T, T] == 57 and s.display.at["arbete", T] == 10


def test_transition_matrix_with_a_small_margin():
    df, spec = matrix([[3, 1, 0], [6, 12, 7], [8, 9, 10]])
    s = suppress(df, spec, threshold=5)
    # Row arbete totals 4: P 3, 1, 4 and its breakdown (the 0 too) hidden. Columns with one
    # hidden: arbete 17 = h + 6 + 8 -> hide 6; ohalsa 22 = h + 12 + 9 -> hide 9; ingen
    # 17 = h + 7 + 10 -> hide 7; Totalt 56 = h + 25 + 27 -> hide 25. Then row ingen
    # 27 = 8 + h + 10 -> hide 8. Row ohalsa (25 = 6 + 12 + 7) has three hidden.
    assert hidden_cells(s, Reason.PRIMARY) == {("arbete", "arbete"), ("arbete", "ohalsa"), ("arbete", T)}
    assert hidden_cells(s, Reason.SECONDARY) == {
        ("arbete", "ingen"), ("ohalsa", "arbete"), ("ohalsa", "ingen"), ("ohalsa", T), ("ingen", "ohalsa"), ("ingen", "arbete"),
    }
    assert s.display.at["arbete", T] == "<5" and s.display.at["arbete", "ohalsa"] == HIDDEN
    assert list(s.display.loc[T]) == [17, 22, 17, 56]


# --- the attacker: try to recompute every hidden cell -------------------------------------

ALL_TABLES = [
    outcome_table(),
    participants({"18-25": 6, "26-33": 2, "34-41": 0, "42-49": 5, "50-57": 1, "58-65": 7}),
    participants({"K": 9, "M": 3}),
    participants({"A": 1, "B": 5, "C": 0}),
    participants({"18-25": 1, "26-33": 1, "34-41": 0, "42-49": 1, "50-57": 1, "58-65": 0}),
    matrix([[8, 2, 0], [6, 12, 7], [3, 9, 10]]),
    matrix([[3, 1, 0], [6, 12, 7], [8, 9, 10]]),
]


def lines(df: pd.DataFrame, spec: TableSpec, columns) -> list[tuple[tuple, list[tuple]]]:
    """(total, parts) of every declared sum over `columns`, written out here independently."""
    out = []
    for total, parts in spec.total_columns.items():
        if total in columns:
            out += [((r, total), [(r, p) for p in parts]) for r in df.index]
    for total_row in spec.total_rows:
        rows = [r for r in df.index if r not in spec.total_rows]
        out += [((total_row, c), [(r, c) for r in rows]) for c in spec.additive_columns if c in columns]
    return out


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t[1].name)
def test_no_hidden_cell_can_be_recomputed_from_the_totals(table):
    df, spec = table
    s = suppress(df, spec, threshold=5)
    columns = [*spec.counts, *spec.derived]
    sums = lines(df, spec, columns)
    hidden = s.hidden
    # Structure: every sum has no hidden cell or at least two.
    for total, parts in sums:
        n = sum(bool(hidden.at[c]) for c in [total, *parts])
        assert n != 1, f"{total}: exactly one hidden cell"
    # The naive reader: solve any sum with one unknown left, repeat with what was learnt.
    known = {(r, c): float(s.display.at[r, c]) for r in df.index for c in columns if not hidden.at[r, c]}
    progress = True
    while progress:
        progress = False
        for total, parts in sums:
            unknown = [c for c in [total, *parts] if c not in known]
            if len(unknown) == 1:
                rest = sum(known[c] for c in parts if c in known)
                known[unknown[0]] = known[total] - rest if unknown[0] != total else rest
                progress = True
    learnt = [c for c in known if hidden.at[c]]
    assert learnt == [], f"recomputed from the totals: {learnt}"


def brute_force_solutions(s, spec: TableSpec, t: int, cap: int) -> dict[tuple, set[int]]:
    """Every value each hidden count can take in some table that shows what `s` shows, by
    enumeration, knowing the rule: `<t` is 1..t-1; `..` is >= t, or 0..t-1 when it is a part
    of a sum whose total is hidden. Only for small tables."""
    d = s.display
    count_sums = lines(d, spec, spec.counts)
    cells = [(r, c) for r in d.index for c in spec.counts if isinstance(d.at[r, c], str)]
    domains = []
    for cell in cells:
        if d.at[cell] == f"<{t}":
            domains.append(range(1, t))
        else:
            under_hidden_total = any(cell in parts and isinstance(d.at[total], str) for total, parts in count_sums)
            domains.append(range(0, cap + 1) if under_hidden_total else range(t, cap + 1))
    assert math.prod(len(x) for x in domains) < 2_000_000
    possible = {cell: set() for cell in cells}
    for values in itertools.product(*domains):
        v = dict(zip(cells, values))
        get = lambda c: v[c] if c in v else d.at[c]  # noqa: E731
        if all(get(total) == sum(get(p) for p in parts) for total, parts in count_sums):
            for cell in cells:
                possible[cell].add(v[cell])
    return possible


@pytest.mark.parametrize("table", [ALL_TABLES[i] for i in (1, 2, 3, 4, 5)], ids=lambda t: t[1].name)
def test_no_hidden_count_is_pinned_by_totals_and_labels(table):
    df, spec = table
    s = suppress(df, spec, threshold=5)
    possible = brute_force_solutions(s, spec, 5, cap=int(df[spec.counts].to_numpy().max()))
    assert possible, "the table has hidden counts"
    for cell, values in possible.items():
        assert df.at[cell] in values  # the true table is among the solutions
        assert len(values) >= 2, f"{cell} is pinned to {values}"


def test_brute_force_attacker_finds_one_and_five_without_the_audit():
    """The attacker above is not toothless: on the line-rule-only version of the 1+5 table
    (total shown) it recovers both hidden cells, and the scanner flags it."""
    df, spec = participants({"A": 1, "B": 5, "C": 0})
    s = suppress(df, spec, threshold=5)
    s.display.at[T, "persons"] = 6
    s.reasons.at[T, "persons"] = Reason.SHOWN
    possible = brute_force_solutions(s, spec, 5, cap=6)
    assert possible == {("A", "persons"): {1}, ("B", "persons"): {5}}
    assert any("shows it is 1" in m for m in find_disclosures((s.display, spec), threshold=5))


# --- threshold, numeric values for charts, bad specs ------------------------------------

def test_threshold_comes_from_the_seed_and_can_be_overridden(tmp_path, monkeypatch):
    assert resolve_threshold(None) == 5  # seeds/parameters.csv of the project
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "parameters.csv").write_text("parameter,value,description\nsuppression_threshold,10,x\n")
    monkeypatch.setenv("UTFALL_PROJECT_DIR", str(tmp_path))
    df, spec = participants({"K": 9, "M": 30})
    s = suppress(df, spec)
    # 9 < 10 -> `<10`, and 30 goes with it (39 = h + 30).
    assert list(s.display["persons"]) == ["<10", HIDDEN, 39]
    assert list(suppress(df, spec, threshold=5).display["persons"]) == [9, 30, 39]
    with pytest.raises(ValueError):
        suppress(df, spec, threshold=2)


def test_numeric_has_nan_for_every_hidden_cell():
    df, spec = outcome_table()
    s = suppress(df, spec, threshold=5)
    num = s.numeric()
    assert num.dtypes["ended"] == float
    for row in df.index:
        for col in [*spec.counts, *spec.derived]:
            if s.hidden.at[row, col]:
                assert np.isnan(num.at[row, col])
            else:
                assert num.at[row, col] == pytest.approx(df.at[row, col])


def test_a_declared_total_that_does_not_add_up_is_refused():
    df = pd.DataFrame({"persons": [6, 7, 12]}, index=["ohalsa", "bistand", T])  # a person in both
    with pytest.raises(ValueError, match="declared a total"):
        suppress(df, TableSpec(counts=["persons"], total_rows={T: None}), threshold=5)
    # Declared as what it is (no sum), it is suppressed cell by cell.
    assert list(suppress(df, TableSpec(counts=["persons"]), threshold=5).display["persons"]) == [6, 7, 12]


# --- the scanner ----------------------------------------------------------------------------

PERSON_ID = hashlib.sha256(b"test-person-1").hexdigest()


def test_scanner_passes_a_clean_rendered_table():
    df, spec = outcome_table()
    s = suppress(df, spec, threshold=5)
    # As read back from Excel: Swedish headings, numbers as text with a thousands space.
    headings = {"ended": "Avslutade", "exit_work": "Till arbete", "exit_studies": "Till studier",
                "exit_other": "Annat", "share_work": "Andel arbete", "sek_before": "Stöd före (kr)"}
    rendered = s.display.rename(columns=headings).map(lambda v: f"{v:,.0f}".replace(",", " ") if isinstance(v, float) else v)
    assert rendered.at[T, "Stöd före (kr)"] == "2 100"
    assert find_disclosures((rendered, spec.renamed(headings)), "Tabell 3. Utfall 2024 för 39 avslutade.", threshold=5) == []


def test_scanner_finds_a_planted_count_and_a_person_id():
    df, spec = outcome_table()
    s = suppress(df, spec, threshold=5)
    planted = s.display.copy()
    planted.at["se1", "ended"] = 3
    found = find_disclosures((planted, spec), threshold=5)
    assert any("'se1', column 'ended': count 3 is shown" in m for m in found)
    planted = s.display.copy()
    planted.at["ips1", "sek_before"] = PERSON_ID
    assert any("64-hex" in m for m in find_disclosures((planted, spec), threshold=5))
    assert len(find_disclosures(f"<td>{PERSON_ID}</td>", threshold=5)) == 1
    assert find_disclosures(f"sha256: {PERSON_ID}", threshold=5, allow_hex=[PERSON_ID]) == []


def test_scanner_finds_what_a_wrong_suppression_would_leak():
    df, spec = outcome_table()
    s = suppress(df, spec, threshold=5)
    shown_share = s.display.copy()
    shown_share.at["ips2", "share_work"] = 0.4  # share over a hidden group
    assert any("computed from a hidden cell" in m for m in find_disclosures((shown_share, spec), threshold=5))
    one_hidden = s.display.copy()
    one_hidden.at["ips2", "ended"] = 15  # column ended is left with se1 alone hidden
    assert any("only hidden cell of a sum" in m for m in find_disclosures((one_hidden, spec), threshold=5))


def test_text_check_tells_counts_from_other_small_numbers():
    assert find_disclosures("3 deltagare gick till arbete.", threshold=5) == ["text: a small count in the text: '3 deltagare'"]
    clean = "År 2024, mars (månad 3), 3 % till studier, 4,5 deltagare per coach, 12 deltagare, sida 2."
    assert find_disclosures(clean, threshold=5) == []
    assert find_disclosures(pd.DataFrame({"x": [PERSON_ID]}), threshold=5) != []


def test_a_cell_left_without_candidates_waits_for_the_cell_another_one_hides_in_the_same_round():
    """The work-and-studies column of a real 2023 evaluation (Socialstyrelsen's categories): work or
    studies 1, of it lönestöd 1; neither 6, of it ohälsa 5 and arbetsmarknadsstöd 1; followable 7.
    Shown, 7 − (≥5 + 1) pins every figure, so the followable must go too. It is the one candidate
    left, taken for 'work or studies' in the same round in which ohälsa found none of its own; ohälsa
    is safe once it is hidden. (Before, ohälsa's empty search ended the evaluation with an error.)"""
    rows = ["ws", "ws_work", "ws_subsidised", "ws_both", "ws_studies",
            "neither", "n_health", "n_labour", "n_welfare", "n_none", "followable"]
    frame = pd.DataFrame({"n": [1, 0, 1, 0, 0, 6, 5, 1, 0, 0, 7]}, index=rows)
    spec = TableSpec(counts=["n"], total_rows={"ws": rows[1:5], "neither": rows[6:10], "followable": ["ws", "neither"]})
    shown = suppress(frame, spec, threshold=5).display["n"].to_dict()
    assert shown == {"ws": "<5", "ws_work": "..", "ws_subsidised": "..", "ws_both": "..", "ws_studies": "..",
                     "neither": "..", "n_health": "..", "n_labour": "<5", "n_welfare": 0, "n_none": 0,
                     "followable": ".."}
