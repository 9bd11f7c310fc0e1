"""`utfall socioeconomic`: a five-person case worked out by hand, overrides, bad input.

The five persons (monthly SEK; boendestöd hours per week before → after):

    line person  utfall          fk     af    kommun skatt_före lön    lönestöd  boendestöd
    2    P1      arbete          12000  0     0      3000       20000  0         4 → 1,5
    3    P2      arbete          0      9000  2000   1500       18000  7500      0 → 0
    4    P3      studier         0      0     8000   0          2000   0         2 → 0
    5    P4      studier         10000  0     0      2500       0      0         0 → 0
    6    P5      sysselsattning  11000  0     1000   2800       0      0         6 → 3

P3's side job (2000) is not counted (tax and production value count for `arbete` only);
P5's support before is not counted as a saving (reduced payments count for `arbete` and
`studier`), but P5's boendestöd change is.
"""

from __future__ import annotations

import io
import json
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console

from tests.conftest import VENV_BIN, pid
from utfall.cli.socioeconomic_file import run_socioeconomic_command
from utfall.evaluation.socioeconomic import default_parameters

HEADER = ("person_id;utfall;fk_fore_sek;af_fore_sek;kommun_fore_sek;skatt_fore_sek;lon_sek;lonestod_sek;"
          "boendestod_fore_tim_vecka;boendestod_efter_tim_vecka")
ROWS = [
    f"{pid(1)};arbete;12000;0;0;3000;20000;0;4;1,5",
    f"{pid(2)};arbete;0;9000;2000;1500;18000;7500;0;0",
    f"{pid(3)};studier;0;0;8000;0;2000;0;2;0",
    f"{pid(4)};studier;10000;0;0;2500;0;0;0;0",
    f"{pid(5)};sysselsattning;11000;0;1000;2800;0;0;6;3",
]

# Defaults (seeds): skattesats 0.33, produktionsfaktor 1.4, 450 kr per boendestöd hour,
# insatskostnad 0, nyttoperiod 3 år, andel kvarstår 0.5, IPS 2–4 times as effective.
#
# Reduced payments (P1–P4), × 12:
#   fk     = (12000 + 10000) × 12        = 22000 × 12 = 264000
#   af     =  9000 × 12                                = 108000
#   kommun = (2000 + 8000) × 12          = 10000 × 12 = 120000
#   total  = 264000 + 108000 + 120000                  = 492000
# Increased tax (P1, P2), × 12:
#   P1: 20000 × 0.33 − 3000 = 6600 − 3000 = 3600;  P2: 18000 × 0.33 − 1500 = 5940 − 1500 = 4440
#   (3600 + 4440) × 12 = 8040 × 12                     =  96480
# Production value: (20000 + 18000) × 1.4 × 12 = 53200 × 12 = 638400
# Wage subsidies: 7500 × 12                          =  90000
# Boendestöd (everyone), hours/week × 52 × 450 (= 23400 per weekly hour):
#   before = (4 + 2 + 6) = 12 × 23400                 = 280800
#   after  = (1.5 + 3) = 4.5 × 23400                  = 105300
#   savings = 280800 − 105300 (= 7.5 × 23400)          = 175500
# public_gain = 492000 + 175500 + 96480               = 763980
# Perspectives:
#   society = production 638400 − subsidies 90000 + boendestöd 175500 = 723900
#   fk = 264000;  af = 108000 − 90000 = 18000;  kommun = 120000 + 175500 = 295500
# cost 0 → net = 763980, return_per_krona null
# Projection: factor 3 × 0.5 = 1.5; 492000 × 1.5 = 738000; 96480 × 1.5 = 144720; 175500 × 1.5 = 263250
# Counterfactual: 763980 × (1 − 1/2) = 381990; 763980 × (1 − 1/4) = 572985
EXPECTED_DEFAULTS = {
    "persons": 5,
    "per_year": {
        "reduced_payments": {"fk": 264000, "af": 108000, "kommun": 120000, "total": 492000},
        "increased_tax": 96480,
        "production_value": 638400,
        "wage_subsidies": 90000,
        "housing_support": {"before": 280800, "after": 105300, "savings": 175500},
        "public_gain": 763980,
    },
    "perspectives": {"society": 723900, "fk": 264000, "af": 18000, "kommun": 295500},
    "cost": 0,
    "net": 763980,
    "return_per_krona": None,
    "projection": {"factor": 1.5, "reduced_payments": 738000, "increased_tax": 144720,
                   "housing_support_savings": 263250},
    "counterfactual": {"attributable_min": 381990, "attributable_max": 572985},
}

# Every parameter overridden (so this case does not depend on the seeds):
OVERRIDES = ["skattesats=0.32", "produktionsfaktor=1.5", "boendestod_kr_per_timme=500",
             "insatskostnad_sek=1000000", "nyttoperiod_ar=5", "andel_kvarstar=0,4",
             "effekt_ips_min=1.5", "effekt_ips_max=7"]
# Reduced payments do not depend on parameters: 264000 / 108000 / 120000 / 492000.
# Increased tax: P1 20000 × 0.32 − 3000 = 3400; P2 18000 × 0.32 − 1500 = 4260; 7660 × 12 = 91920
# Production value: 38000 × 1.5 × 12 = 57000 × 12 = 684000;  wage subsidies 90000
# Boendestöd, 52 × 500 = 26000 per weekly hour: before 12 × 26000 = 312000,
#   after 4.5 × 26000 = 117000, savings 195000
# public_gain = 492000 + 195000 + 91920 = 778920
# society = 684000 − 90000 + 195000 = 789000; fk 264000; af 18000; kommun 120000 + 195000 = 315000
# cost 1000000: net = 778920 − 1000000 = −221080; return 778920 / 1000000 = 0.77892 → 0.78
# factor 5 × 0.4 = 2: 984000, 183840, 390000
# Counterfactual: 778920 × (1 − 1/1.5) = 778920 / 3 = 259640;
#   778920 × (1 − 1/7) = 778920 × 6 / 7 = 4673520 / 7 = 667645.71… → 667646 (rounded at the end only)
EXPECTED_OVERRIDES = {
    "persons": 5,
    "per_year": {
        "reduced_payments": {"fk": 264000, "af": 108000, "kommun": 120000, "total": 492000},
        "increased_tax": 91920,
        "production_value": 684000,
        "wage_subsidies": 90000,
        "housing_support": {"before": 312000, "after": 117000, "savings": 195000},
        "public_gain": 778920,
    },
    "perspectives": {"society": 789000, "fk": 264000, "af": 18000, "kommun": 315000},
    "cost": 1000000,
    "net": -221080,
    "return_per_krona": 0.78,
    "projection": {"factor": 2.0, "reduced_payments": 984000, "increased_tax": 183840,
                   "housing_support_savings": 390000},
    "counterfactual": {"attributable_min": 259640, "attributable_max": 667646},
}


def write(tmp_path: Path, lines: list[str], name: str = "personer.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_text(("\ufeff" if bom else "") + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def utfall(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {"UTFALL_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin", "COLUMNS": "200"}
    return subprocess.run([str(VENV_BIN / "utfall"), "socioeconomic", *args], capture_output=True,
                          text=True, env=env, timeout=60)


def test_five_persons_by_hand_with_the_seed_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, [HEADER, *ROWS], bom=True)  # ';', decimal comma and a BOM, as exports come
    run = utfall(tmp_path, str(path), "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == EXPECTED_DEFAULTS
    assert not any(pid(n) in run.stdout for n in range(1, 6))


def test_comma_separated_file_gives_the_same_figures(tmp_path: Path) -> None:
    lines = [line.replace(",", ".").replace(";", ",") for line in (HEADER, *ROWS)]
    run = utfall(tmp_path, str(write(tmp_path, lines)), "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == EXPECTED_DEFAULTS


def test_every_parameter_overridden(tmp_path: Path) -> None:
    args = [str(write(tmp_path, [HEADER, *ROWS])), "--json"]
    for option in OVERRIDES:
        args += ["--param", option]
    run = utfall(tmp_path, *args)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == EXPECTED_OVERRIDES


def test_swedish_table_shows_the_figures_and_no_person(tmp_path: Path) -> None:
    run = utfall(tmp_path, str(write(tmp_path, [HEADER, *ROWS])))
    assert run.returncode == 0, run.stderr
    nbsp = "\u00a0"
    for label, value in [("Offentlig vinst", "763 980"), ("Perspektiv: samhället", "723 900"),
                         ("Perspektiv: Arbetsförmedlingen", "18 000"), ("tillskrivas insatsen, till", "572 985")]:
        line = next(x for x in run.stdout.splitlines() if label in x)
        assert value.replace(" ", nbsp) + " kr" in line
    assert "– (kostnad saknas)" in run.stdout
    assert not any(pid(n) in run.stdout for n in range(1, 6))


def test_defaults_are_read_from_the_seeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    repo_seeds = Path(__file__).resolve().parents[2] / "seeds"
    text = (repo_seeds / "parameters.csv").read_text(encoding="utf-8")
    text = text.replace("\nproduction_factor,1.4,", "\nproduction_factor,1.25,")
    text = text.replace("\nattributable_share_high,0.75,", "\nattributable_share_high,0.8,")
    (seeds / "parameters.csv").write_text(text, encoding="utf-8")
    (seeds / "yearly_parameters.csv").write_text(
        "year,price_base_amount_sek,salary_threshold_month_sek,local_tax_rate\n"
        "2031,1,1,0.31\n2030,1,1,0.29\n", encoding="utf-8")
    monkeypatch.setenv("UTFALL_PROJECT_DIR", str(tmp_path))
    params = default_parameters().by_name()
    assert params["produktionsfaktor"] == Decimal("1.25")
    assert params["skattesats"] == Decimal("0.31")  # the latest year, whatever the row order
    assert params["effekt_ips_max"] == Decimal(5)  # 1 / (1 − 0.8)


# --- bad input: exit 2, the message names file, line, column and rule --------------------


def run_in_process(path: Path, params: list[str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_socioeconomic_command(path, params or [], True, Console(file=out, width=300),
                                     Console(file=err, width=300))
    return code, out.getvalue(), err.getvalue()


def replace_field(row: str, column: str, value: str) -> str:
    fields = row.split(";")
    fields[HEADER.split(";").index(column)] = value
    return ";".join(fields)


BAD_FILES = {
    "unknown_column": ([HEADER.replace("lon_sek", "lön_sek"), *ROWS], 1, "lön_sek"),
    "missing_column": ([HEADER.rsplit(";", 1)[0], *(r.rsplit(";", 1)[0] for r in ROWS)], 1,
                       "boendestod_efter_tim_vecka"),
    "not_a_number": ([HEADER, *ROWS[:2], replace_field(ROWS[2], "kommun_fore_sek", "8 000"), *ROWS[3:]], 4,
                     "kommun_fore_sek"),
    "negative_amount": ([HEADER, ROWS[0], replace_field(ROWS[1], "lonestod_sek", "-7500"), *ROWS[2:]], 3,
                        "lonestod_sek"),
    "unknown_utfall": ([HEADER, *ROWS[:4], replace_field(ROWS[4], "utfall", "arbetssokande")], 6, "utfall"),
    "too_many_fields": ([HEADER, *ROWS[:3], ROWS[3] + ";7", ROWS[4]], 5, None),
    "duplicate_person": ([HEADER, *ROWS[:3], replace_field(ROWS[3], "person_id", pid(1)), ROWS[4]], 5,
                         "person_id"),
    "blank_line": ([HEADER, *ROWS[:2], "", *ROWS[2:]], 4, None),
}


@pytest.mark.parametrize("rule", sorted(BAD_FILES))
def test_bad_file_is_refused_naming_file_line_column_and_rule(tmp_path: Path, rule: str) -> None:
    lines, line, column = BAD_FILES[rule]
    path = write(tmp_path, lines)
    code, out, err = run_in_process(path)
    assert code == 2
    assert out == ""
    assert str(path) in err
    assert f"rad {line}" in err
    if column:
        assert f"kolumn {column}" in err
    assert f"[regel {rule}]" in err


def test_bad_file_through_the_command_line(tmp_path: Path) -> None:
    path = write(tmp_path, [HEADER, ROWS[0], replace_field(ROWS[1], "lon_sek", "18000kr"), *ROWS[2:]])
    run = utfall(tmp_path, str(path), "--json")
    assert run.returncode == 2
    assert run.stdout == ""
    assert f"{path}, rad 3, kolumn lon_sek:" in run.stderr
    assert "[regel not_a_number]" in run.stderr


@pytest.mark.parametrize("person_id", ["811218-9876", "deltagare 198112189876 (fel)"])
def test_a_personnummer_refuses_the_file_without_repeating_it(tmp_path: Path, person_id: str) -> None:
    path = write(tmp_path, [HEADER, ROWS[0], replace_field(ROWS[1], "person_id", person_id), *ROWS[2:]])
    code, out, err = run_in_process(path)
    assert (code, out) == (2, "")
    assert "rad 3" in err and "kolumn person_id" in err and "[regel personnummer]" in err
    assert "9876" not in err


def test_header_only_and_missing_file(tmp_path: Path) -> None:
    code, _, err = run_in_process(write(tmp_path, [HEADER]))
    assert code == 2 and "[regel no_rows]" in err
    code, _, err = run_in_process(tmp_path / "finns_inte.csv")
    assert code == 2 and "finns_inte.csv" in err and "[regel no_file]" in err


@pytest.mark.parametrize("option, rule, name", [
    ("skatt=0.3", "unknown_parameter", "skatt"),
    ("skattesats=hög", "bad_parameter_value", "skattesats"),
    ("andel_kvarstar=1,5", "bad_parameter_value", "andel_kvarstar"),
    ("insatskostnad_sek=-1", "bad_parameter_value", "insatskostnad_sek"),
    ("effekt_ips_min=0.5", "bad_parameter_value", "effekt_ips_min"),
    ("effekt_ips_min=5", "bad_parameter_value", "effekt_ips_min"),  # above the default max of 4
    ("skattesats", "bad_parameter_value", "skattesats"),
])
def test_bad_param_is_refused(tmp_path: Path, option: str, rule: str, name: str) -> None:
    code, out, err = run_in_process(write(tmp_path, [HEADER, *ROWS]), [option])
    assert (code, out) == (2, "")
    assert f"--param {name}:" in err
    assert f"[regel {rule}]" in err


def test_the_calculation_over_nobody_is_zero_and_the_cost_stands() -> None:
    """An insats that counted nobody in the year still gets its section (the report's path
    when mart_socioeconomic_year has no row for it)."""
    from dataclasses import replace

    from utfall.evaluation.socioeconomic import calculate

    result = calculate([], replace(default_parameters(), cost=Decimal(250_000)))
    assert (result.persons, result.per_year.public_gain, result.cost, result.net) == (0, 0, 250_000, -250_000)
