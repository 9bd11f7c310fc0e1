"""The attacker: can a hidden count be worked out exactly from what a table shows?

Counting hidden cells per line (the classic rule) is not enough, because the labels carry
information too. A `<5` cell is known to be 1..4, and a `..` cell chosen by secondary
suppression is known to be at least 5 (zeros and small counts are never chosen: they are
shown or `<5`). So a line 'total 6 = `<5` + `..`' gives away 1 and 5, and 'total 4 over
four `<5` cells' gives away four 1s. This module solves the table as a reader who knows the
rule would: an integer programme over the hidden cells with the declared sums and what
each label implies, minimising and maximising each hidden cell. A cell whose minimum equals
its maximum is exposed.

What a `..` count tells a reader: it is either a secondary cell (>= threshold) or part of
the breakdown of a hidden total below the threshold (then 0..threshold-1; see
`suppress`), and the latter only when some line it belongs to has a hidden total. The
programme encodes exactly that with two binaries.

What it does not model: that the secondary cell chosen is the smallest candidate of its
line (a reader could use it to narrow a range, though rarely to a single value), and
knowledge from outside the table (other tables of the report, earlier years).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from utfall.evaluation.suppression.grid import Cell, Sum

SMALL, HIDDEN = "small", "hidden"  # a hidden count's label: `<threshold` or `..`


def exposed_cells(
    known: Mapping[Cell, float],
    hidden: Mapping[Cell, str],
    sums: Iterable[Sum],
    threshold: int,
    big: float,
) -> dict[Cell, int]:
    """Hidden cells whose value the shown cells, the sums and the labels determine: cell -> value.

    known: shown counts; hidden: hidden count -> SMALL or HIDDEN; big: an upper bound on
    any count in the table. A sum with a cell that is neither (e.g. a missing value) is
    left out: a reader cannot use it either. Raises ValueError when no table fits what is
    shown (the table or its spec is inconsistent).
    """
    lines = [s for s in sums if all(c in known or c in hidden for c in s.cells) and any(c in hidden for c in s.cells)]
    cells = sorted({c for s in lines for c in s.cells if c in hidden}, key=repr)
    # A hidden cell in no usable line is bounded by its label only: `<t` is a range of
    # t-1 >= 2 values, `..` is open; neither is exposed.
    if not cells:
        return {}
    var: dict[tuple, int] = {}

    def new(key) -> int:
        var[key] = len(var)
        return var[key]

    for c in cells:
        new(("v", c))
    small_totals = [i for i, s in enumerate(lines) if s.total in hidden]
    for i in small_totals:
        new(("y", i))  # y_i = 1: the hidden total of line i is below the threshold
    for c in cells:
        if hidden[c] == HIDDEN:
            new(("s", c))  # s_c = 1: c is in the breakdown of a small total (0..t-1), else >= t

    n = len(var)
    lower, upper = np.zeros(n), np.zeros(n)
    integrality = np.ones(n)
    rows, lo, hi = [], [], []

    def add(coefs: dict[int, float], lb: float, ub: float) -> None:
        row = np.zeros(n)
        for k, v in coefs.items():
            row[k] += v
        rows.append(row)
        lo.append(lb)
        hi.append(ub)

    t = threshold
    for c in cells:
        v = var[("v", c)]
        lower[v], upper[v] = (1, t - 1) if hidden[c] == SMALL else (0, big)
    for i in small_totals:
        # The breakdown of a hidden total below the threshold is hidden whole, so a hidden
        # total with a shown part is not below it.
        shown_part = any(p in known for p in lines[i].parts)
        lower[var[("y", i)]], upper[var[("y", i)]] = 0, (0 if shown_part else 1)
        if shown_part and hidden[lines[i].total] == HIDDEN:
            lower[var[("v", lines[i].total)]] = t
        add({var[("v", lines[i].total)]: 1, var[("y", i)]: big}, -np.inf, t - 1 + big)
    for c in cells:
        if hidden[c] != HIDDEN:
            continue
        v, s = var[("v", c)], var[("s", c)]
        owners = [var[("y", i)] for i in small_totals if c in lines[i].parts]
        lower[s], upper[s] = 0, (1 if owners else 0)
        add({v: 1, s: t}, t, np.inf)  # s = 0 -> v >= t
        add({v: 1, s: big}, -np.inf, t - 1 + big)  # s = 1 -> v <= t-1
        if owners:
            add({s: 1, **{y: -1 for y in owners}}, -np.inf, 0)
    for s in lines:
        coefs: dict[int, float] = {}
        rhs = 0.0
        for c, sign in ((s.total, 1.0), *((p, -1.0) for p in s.parts)):
            if c in hidden:
                coefs[var[("v", c)]] = coefs.get(var[("v", c)], 0.0) + sign
            else:
                rhs -= sign * known[c]
        add(coefs, rhs, rhs)

    constraint = LinearConstraint(np.array(rows), np.array(lo), np.array(hi))
    bounds = Bounds(lower, upper)
    index = {c: var[("v", c)] for c in cells}

    def solve(objective: np.ndarray) -> np.ndarray:
        res = milp(objective, integrality=integrality, bounds=bounds, constraints=constraint)
        if res.status != 0:
            raise ValueError(f"no table fits what is shown (solver: {res.message})")
        return np.round(res.x)

    # A cell is free when two tables that fit differ in it. Take one fitting table as the
    # reference; a few solves with objectives over all cells at once (all up, all down,
    # random directions) free most cells; only the rest get their own minimum and maximum.
    reference = solve(np.zeros(n))
    undecided = set(cells)
    rng = np.random.default_rng(0)  # fixed: the same table always gives the same answer
    directions = [np.ones(n), -np.ones(n), *(rng.choice([-1.0, 1.0], n) for _ in range(4))]
    for direction in directions:
        if not undecided:
            break
        objective = np.zeros(n)
        for c in undecided:
            objective[index[c]] = direction[index[c]]
        x = solve(objective)
        undecided = {c for c in undecided if x[index[c]] == reference[index[c]]}
    exposed: dict[Cell, int] = {}
    for c in sorted(undecided, key=repr):
        objective = np.zeros(n)
        objective[index[c]] = 1.0
        if solve(objective)[index[c]] != reference[index[c]] or solve(-objective)[index[c]] != reference[index[c]]:
            continue
        exposed[c] = int(reference[index[c]])
    return exposed
