"""`utfall socioeconomic`: read an evaluator's per-person file, run the calculation, print.

The file is read by DuckDB as text (every column VARCHAR) and each value is then checked
here, so every refusal names file, line, column and rule. person_id is only an
identifier: it is never printed, and a file holding anything shaped like a personnummer
is refused whole, as the loader does (domain brief §2).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from utfall.ingest import pii
from utfall.evaluation.socioeconomic import (
    AMOUNT_COLUMNS, COLUMNS, OUTCOMES, PARAMETER_SPECS, ParameterError, Parameters, Person, Result,
    calculate, default_parameters, with_overrides,
)

# A whole number or decimals with '.' or ',' (decimal comma happens, brief §3); no sign, no spaces.
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$", re.ASCII)
_NEGATIVE = re.compile(r"^-\d+(?:[.,]\d+)?$", re.ASCII)


class InputRefused(ValueError):
    """A bad input file; the message names file, line, column and rule (never a person's value)."""

    def __init__(self, path: Path, rule: str, message: str, line: int | None = None, column: str | None = None):
        where = [str(path)] + ([f"rad {line}"] if line is not None else []) + ([f"kolumn {column}"] if column else [])
        super().__init__(pii.redact(f"{', '.join(where)}: {message} [regel {rule}]"))  # it quotes names and values
        self.rule, self.line, self.column = rule, line, column


def run_socioeconomic_command(path: Path, params: list[str], as_json: bool, console: Console, err: Console) -> int:
    try:
        parameters = with_overrides(default_parameters(), parse_param_options(params))
        persons = read_persons(path)
    except (ParameterError, InputRefused) as e:
        err.print(str(e), style="red", markup=False, soft_wrap=True)  # one line: easy to copy and grep
        return 2
    result = calculate(persons, parameters)
    if as_json:
        print(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        print_result(result, parameters, console)
    return 0


def parse_param_options(options: list[str]) -> dict[str, Decimal]:
    """`NAME=VALUE` options → {name: value}; the value may have a decimal comma."""
    values: dict[str, Decimal] = {}
    for option in options:
        name, sep, text = option.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(option, "bad_parameter_value", "skrivs NAMN=VÄRDE, t.ex. skattesats=0.32")
        text = text.strip()
        if not _NUMBER.match(text) and not _NEGATIVE.match(text):
            raise ParameterError(name, "bad_parameter_value", f"{text!r} är inte ett tal")
        values[name] = Decimal(text.replace(",", "."))
    return values


# --- reading the file --------------------------------------------------------------------


def read_persons(path: Path) -> list[Person]:
    persons, first_line = [], {}
    for line, row in _read_rows(path):
        person = _person(path, line, row)
        person_id = row["person_id"].strip()
        if person_id in first_line:
            # Counting a person twice would double their figures. The id is not repeated.
            raise InputRefused(path, "duplicate_person", f"samma person_id som rad {first_line[person_id]}",
                               line, "person_id")
        first_line[person_id] = line
        persons.append(person)
    return persons


def _read_rows(path: Path) -> list[tuple[int, dict[str, str | None]]]:
    """(line, {column: text}) per data line; header = line 1."""
    if not path.is_file():
        raise InputRefused(path, "no_file", "filen finns inte")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputRefused(path, "encoding", "filen är inte UTF-8; spara den som UTF-8") from None
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()  # blank lines at the end are an export habit
    if not lines:
        raise InputRefused(path, "empty_file", "filen är tom; den ska ha en rubrikrad och en rad per person")
    # DuckDB skips blank lines and lets a quoted value span lines; either would shift the
    # line numbers below, so both are refused first.
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise InputRefused(path, "blank_line", "tom rad mitt i filen", number)
        if line.count('"') % 2:
            raise InputRefused(path, "line_break_in_value", "ett värde inom citattecken går över flera rader", number)
    delimiter = ";" if ";" in lines[0] else ","
    header = [h.strip().strip('"').strip() for h in lines[0].split(delimiter)]
    _check_header(path, header)
    if len(lines) == 1:
        raise InputRefused(path, "no_rows", "filen har en rubrikrad men inga personer")

    columns = "{" + ", ".join(f"'{name}': 'VARCHAR'" for name in header) + "}"
    with duckdb.connect() as con:
        con.execute(
            f"""CREATE TEMP TABLE persons AS SELECT * FROM read_csv(?, delim='{delimiter}', header=true,
                columns={columns}, auto_detect=false, quote='"', escape='"', strict_mode=true,
                null_padding=false, store_rejects=true, encoding='utf-8')""",
            [str(path)],
        )
        reject = con.execute(
            "SELECT line, column_name, error_type FROM reject_errors ORDER BY line, column_idx LIMIT 1").fetchone()
        if reject:
            line, column, error_type = reject
            rule = {"MISSING COLUMNS": "too_few_fields", "TOO MANY COLUMNS": "too_many_fields"}.get(
                error_type, error_type.lower().replace(" ", "_"))
            raise InputRefused(path, rule, f"raden har inte {len(header)} fält (avgränsare '{delimiter}')",
                               line, column)
        # Insertion order is kept and no line was skipped (checked above): rowid + 2 is the line.
        names = ", ".join(f'"{name}"' for name in header)
        fetched = con.execute(f"SELECT rowid + 2, {names} FROM persons ORDER BY rowid").fetchall()
    return [(row[0], dict(zip(header, row[1:]))) for row in fetched]


def _check_header(path: Path, header: list[str]) -> None:
    for name in header:
        if name not in COLUMNS:
            raise InputRefused(path, "unknown_column", f"okänd kolumn {name!r}; kolumnerna ska vara "
                               + ";".join(COLUMNS), 1, name)
        if header.count(name) > 1:
            raise InputRefused(path, "duplicate_column", "kolumnen finns flera gånger", 1, name)
    for name in COLUMNS:
        if name not in header:
            raise InputRefused(path, "missing_column", "kolumnen saknas", 1, name)


def _person(path: Path, line: int, row: dict[str, str | None]) -> Person:
    for column, value in row.items():
        if value is not None and pii.contains(value):  # in any written form, anywhere in the value
            # The value itself is never repeated: the message ends up in terminals and logs.
            raise InputRefused(path, "personnummer", "värdet liknar ett personnummer eller samordningsnummer; "
                               "hela filen avvisas. Använd ett löpnummer eller pseudonym som person_id", line, column)
    if not (row["person_id"] or "").strip():
        raise InputRefused(path, "missing_value", "person_id saknas", line, "person_id")
    utfall = (row["utfall"] or "").strip()
    if utfall not in OUTCOMES:
        raise InputRefused(path, "unknown_utfall", f"okänt utfall {utfall!r}; tillåtna är " + ", ".join(OUTCOMES),
                           line, "utfall")
    return Person(utfall=utfall, **{c: _amount(path, line, c, row[c]) for c in AMOUNT_COLUMNS})


def _amount(path: Path, line: int, column: str, text: str | None) -> Decimal:
    value = (text or "").strip()
    if not value:
        return Decimal(0)  # an empty field means none (no support, no boendestöd)
    if _NEGATIVE.match(value):
        raise InputRefused(path, "negative_amount", "beloppet får inte vara negativt", line, column)
    if not _NUMBER.match(value):
        raise InputRefused(path, "not_a_number", "inte ett tal (siffror, ev. decimaler med , eller .)", line, column)
    return Decimal(value.replace(",", "."))


# --- printing ----------------------------------------------------------------------------


def _kr(value: int) -> str:
    return f"{value:,}".replace(",", "\u00a0") + " kr"  # Swedish: space between thousands


def print_result(result: Result, parameters: Parameters, console: Console) -> None:
    """A readable Swedish table of the same figures as --json (rounded the same way)."""
    j = result.as_json()
    y, p = j["per_year"], j["perspectives"]
    table = Table(title=f"Samhällsekonomisk kalkyl – {j['persons']} personer", show_header=True)
    table.add_column("Per år (12 × månadsbelopp)")
    table.add_column("Belopp", justify="right")
    rows = [
        ("Minskade utbetalningar, Försäkringskassan", y["reduced_payments"]["fk"]),
        ("Minskade utbetalningar, Arbetsförmedlingens budget", y["reduced_payments"]["af"]),
        ("Minskade utbetalningar, kommunen (ekonomiskt bistånd)", y["reduced_payments"]["kommun"]),
        ("Minskade utbetalningar, totalt", y["reduced_payments"]["total"]),
        ("Ökade skatteintäkter", y["increased_tax"]),
        ("Boendestöd före", y["housing_support"]["before"]),
        ("Boendestöd efter", y["housing_support"]["after"]),
        ("Minskat boendestöd", y["housing_support"]["savings"]),
        ("Offentlig vinst (minskade utbetalningar + boendestöd + skatt)", y["public_gain"]),
        ("Produktionsvärde", y["production_value"]),
        ("Lönestöd till arbetsgivare (kostnad för staten)", y["wage_subsidies"]),
        (None, None),
        ("Perspektiv: samhället (produktionsvärde − lönestöd + boendestöd)", p["society"]),
        ("Perspektiv: Försäkringskassan", p["fk"]),
        ("Perspektiv: Arbetsförmedlingen (minskat stöd − lönestöd)", p["af"]),
        ("Perspektiv: kommunen (bistånd + boendestöd)", p["kommun"]),
        (None, None),
        ("Insatsens kostnad", j["cost"]),
        ("Netto (offentlig vinst − kostnad)", j["net"]),
    ]
    for label, value in rows:
        if label is None:
            table.add_section()
        else:
            table.add_row(label, _kr(value))
    ratio = j["return_per_krona"]
    table.add_row("Avkastning per satsad krona",
                  "– (kostnad saknas)" if ratio is None else f"{ratio:.2f}".replace(".", ","))
    proj, cf = j["projection"], j["counterfactual"]
    table.add_section()
    table.add_row(f"Över nyttoperioden (faktor {str(proj['factor']).replace('.', ',')}): minskade utbetalningar",
                  _kr(proj["reduced_payments"]))
    table.add_row("Över nyttoperioden: ökade skatteintäkter", _kr(proj["increased_tax"]))
    table.add_row("Över nyttoperioden: minskat boendestöd", _kr(proj["housing_support_savings"]))
    table.add_row("Offentlig vinst som kan tillskrivas insatsen, från", _kr(cf["attributable_min"]))
    table.add_row("Offentlig vinst som kan tillskrivas insatsen, till", _kr(cf["attributable_max"]))
    console.print(table)

    used = Table(title="Parametrar", show_header=True)
    for name in ("parameter", "värde", "betydelse"):
        used.add_column(name)
    for spec in PARAMETER_SPECS:
        used.add_row(spec.name, format(getattr(parameters, spec.field).normalize(), "f").replace(".", ","), spec.label_sv)
    console.print(used)
    console.print("Minskade utbetalningar räknas för dem som gått till arbete eller studier; ökad skatt och "
                  "produktionsvärde för arbete; lönestöd och boendestöd för alla. A-kassa ingår inte.",
                  markup=False)
