"""Validate one delivered file against its feed contract, before anything is written.

The file is read once by DuckDB into a temporary table holding each value both as
delivered text (`<col>__text`) and parsed to the contract type (`<col>`); every rule is
then a cheap SQL filter over that table. Only the few values shaped like a personnummer
are brought into Python for the date and Luhn check. The result is a list of
violations, each naming line, column and rule.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from utfall.ingest import pii
from utfall.ingest.contracts import EARLIEST_PLAUSIBLE_DATE, NUMBER_FORMATS, Column, Feed
from utfall.ingest.delivery_names import Delivery
from utfall.db.sql import ident, literal

STAGED = "staged_delivery"
_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    line: int | None = None
    column: str | None = None

    def describe(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column {self.column}")
        # Messages quote delivered values, header names and file names: never a personnummer.
        return pii.redact(f"{', '.join(where) or 'file'}: [{self.rule}] {self.message}")


class FileRefused(Exception):
    def __init__(self, violations: list[Violation], total: int | None = None):
        super().__init__(violations[0].describe() if violations else "refused")
        self.violations = violations
        self.total = total if total is not None else len(violations)


# --- reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class TextScan:
    header: list[str]
    physical_lines: int  # lines holding anything (a final newline does not start a line)


def scan_text(path: Path) -> TextScan:
    """Check encoding and count lines in one streaming pass (C-speed decode and count)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    first_line = b""
    last_byte = b""
    with path.open("rb") as fh:
        offset_lines = 0
        while chunk := fh.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as e:
                bad_line = offset_lines + chunk.count(b"\n", 0, e.start) + 1
                raise FileRefused(
                    [Violation("encoding", f"not valid UTF-8 (byte 0x{chunk[e.start]:02x}); deliver UTF-8", bad_line)]
                ) from None
            if not first_line:
                first_line = chunk.split(b"\n", 1)[0]
            offset_lines += chunk.count(b"\n")
            last_byte = chunk[-1:]
        lines = offset_lines + (1 if last_byte not in (b"\n", b"") else 0)
        lines -= _trailing_blank_lines(fh)
    if lines == 0:
        raise FileRefused([Violation("empty_file", "the file is empty; a delivery needs at least its header row")])
    header_text = first_line.decode("utf-8").removeprefix("\ufeff").rstrip("\r")
    return TextScan(header=header_text.split(";"), physical_lines=lines)


def _trailing_blank_lines(fh) -> int:
    """Blank lines at the very end (an export habit; DuckDB skips them, and so may we)."""
    size = fh.seek(0, 2)
    fh.seek(max(0, size - 4096))
    tail = fh.read()
    content_end = len(tail.rstrip(b"\r\n"))
    if content_end == 0:
        return 0  # nothing but line breaks here: let the other checks speak
    # After the last content byte come its own line ending, then one per blank line.
    return max(tail.count(b"\n", content_end) - 1, 0)


def check_header(feed: Feed, header: list[str]) -> list[Violation]:
    if len(header) == 1 and any(sep in header[0] for sep in (",", "\t", "|")):
        return [Violation("separator", "the header is not ';'-separated; deliver ';' as separator", 1)]
    violations = []
    names = [h.strip() for h in header]
    known = set(feed.column_names)
    for name in sorted({n for n in names if names.count(n) > 1}):
        violations.append(Violation("header", f"column {name!r} appears more than once", 1, name))
    for name in names:
        if name not in known:
            violations.append(Violation("header", f"unknown column {name!r} (not in the {feed.name} contract)", 1, name))
    for c in feed.columns:
        if c.name not in names and not c.optional_in_header:
            violations.append(Violation("header", f"missing column {c.name!r}", 1, c.name))
    return violations


def stage(con: duckdb.DuckDBPyConnection, delivery: Delivery, today: date | None = None) -> int:
    """Read the file into the temp table STAGED (text + typed columns); return its row count."""
    feed = delivery.feed
    today = today or date.today()
    if delivery.file_format == "csv":
        scan = scan_text(delivery.path)
        problems = _header_problems(feed, scan.header, today)
        if problems:
            raise FileRefused(problems)
        names = [h.strip() for h in scan.header]
        source = _read_csv_with_lines(con, delivery.path, names, scan.physical_lines)
    else:
        names, source = _read_parquet_with_lines(con, delivery.path, feed, today)
    present = set(names)
    selects = ["__line"]
    for c in feed.columns:
        text = f"NULLIF(TRIM({ident(c.name)}), '')" if c.name in present else "NULL::VARCHAR"
        selects.append(f"{text} AS {ident(c.name + '__text')}")
    typed = ", ".join(f"{parse_expression(c, ident(c.name + '__text'))} AS {ident(c.name)}" for c in feed.columns)
    # CREATE … AS answers with the rows it wrote: no count of its own
    rows = con.execute(f"CREATE OR REPLACE TEMP TABLE {STAGED} AS "
                       f"SELECT *, {typed} FROM (SELECT {', '.join(selects)} FROM {source})").fetchone()[0]
    # A monthly feed with no rows is a month in which nobody got anything (a small population,
    # a quiet season): a delivery, whose volume the gate's completeness level judges. A register
    # snapshot is the whole register of a förbund: empty, it would wipe the register out.
    if rows == 0 and feed.kind != "monthly":
        raise FileRefused([Violation("no_rows", "a register snapshot with a header but no data rows; "
                                                "an empty register is refused (deliver the full register)")])
    return rows


def _read_csv_with_lines(con, path: Path, names: list[str], physical_lines: int) -> str:
    columns = "{" + ", ".join(f"{literal(n)}: 'VARCHAR'" for n in names) + "}"
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    # Insertion order is kept, so rowid + 2 is the line (header = line 1) once we know
    # no line was skipped: every physical line must become exactly one row.
    rows = con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {STAGED}_file AS
        SELECT * FROM read_csv({literal(str(path))}, delim=';', header=true, columns={columns},
            auto_detect=false, quote='"', escape='"', strict_mode=true, null_padding=false,
            store_rejects=true)"""
    ).fetchone()[0]
    # DuckDB reports a short line once per missing field: keep the first per line.
    per_line = """SELECT line, error_type, arg_min(column_name, column_idx) AS column_name,
                         arg_min(error_message, column_idx) AS error_message
                  FROM reject_errors GROUP BY line, error_type"""
    rejects = con.execute(
        f"SELECT line, column_name, error_type, error_message FROM ({per_line}) ORDER BY line LIMIT 100"
    ).fetchall()
    if rejects:
        total = con.execute(f"SELECT count(*) FROM ({per_line})").fetchone()[0]
        raise FileRefused([_reject_violation(*r) for r in rejects], total)
    if rows + 1 != physical_lines:
        raise FileRefused([_find_line_break_problem(path)])
    return f"(SELECT rowid + 2 AS __line, * FROM {STAGED}_file)"


def _reject_violation(line: int, column: str | None, error_type: str, message: str) -> Violation:
    rule = {"MISSING COLUMNS": "too_few_fields", "TOO MANY COLUMNS": "too_many_fields"}.get(
        error_type, error_type.lower().replace(" ", "_")
    )
    text = message.split("\n")[0]
    if rule == "too_few_fields":
        text = f"the line ends before this column; {text.lower()} (a truncated or incomplete line?)"
    return Violation(rule, text, line, column)


def _find_line_break_problem(path: Path) -> Violation:
    """Slow path, only for a refused file: find the first blank or split line."""
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip("\r\n") == "":
                return Violation("blank_line", "blank line inside the file", number)
            if line.count('"') % 2:
                return Violation("line_break_in_value", "a quoted value spans lines; not allowed", number)
    return Violation("structure", "lines and parsed rows do not match")


def _header_problems(feed: Feed, names: list[str], today: date) -> list[Violation]:
    # A file without its header has data on line 1: no rule may quote that before the scan.
    return personal_number_violations(";".join(names), today, 1) or check_header(feed, names)


def _read_parquet_with_lines(con, path: Path, feed: Feed, today: date) -> tuple[list[str], str]:
    described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal(str(path))})").fetchall()
    names = [r[0] for r in described]
    problems = _header_problems(feed, names, today)
    if problems:
        raise FileRefused([Violation(v.rule, v.message, None, v.column) for v in problems])
    types = {r[0]: r[1] for r in described}
    casts = []
    for name in names:
        col = feed.column(name)
        if col.type == "month" and types[name] in ("DATE", "TIMESTAMP"):
            casts.append(f"strftime({ident(name)}, '%Y-%m') AS {ident(name)}")
        else:
            casts.append(f"CAST({ident(name)} AS VARCHAR) AS {ident(name)}")
    source = (
        f"(SELECT file_row_number + 1 AS __line, {', '.join(casts)} "
        f"FROM read_parquet({literal(str(path))}, file_row_number=true))"
    )
    return names, source


def parse_expression(column: Column, text: str) -> str:
    """SQL turning delivered text into the contract type; NULL when it does not parse."""
    t = column.type
    if t in ("pseudonym", "text", "code"):
        return text
    if t in NUMBER_FORMATS:
        # Only the documented format is cast: DuckDB's own casts round and read hex and exponents.
        cast = text if t == "integer" else f"replace({text}, ',', '.')"
        return (f"CASE WHEN regexp_full_match({text}, {literal(NUMBER_FORMATS[t][0])}) "
                f"THEN TRY_CAST({cast} AS {column.storage_type}) END")
    if t == "date":
        return f"CASE WHEN regexp_full_match({text}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') THEN TRY_CAST({text} AS DATE) END"
    if t == "month":
        return f"CASE WHEN regexp_full_match({text}, '[0-9]{{4}}-[0-9]{{2}}') THEN TRY_CAST({text} || '-01' AS DATE) END"
    raise ValueError(f"unknown column type {t}")


TYPE_FORMATS = {
    **{t: description for t, (_, description) in NUMBER_FORMATS.items()},
    "date": "a date YYYY-MM-DD",
    "month": "a month YYYY-MM",
}


# --- the rules -----------------------------------------------------------------------


def rules_query(delivery: Delivery, today: date, limit: int) -> str:
    """Every rule in one statement, the staged rows read once for all row rules (and once more,
    grouped, for the key): the first `limit` violations by line as (line, column, rule, message,
    total violations). Each rule is a CASE yielding its violation or NULL, so a row's violations
    are one list; ties on a line and rule keep the contract's column order."""
    feed = delivery.feed
    checks: list[str] = []

    def add(column: str | None, rule: str, condition: str, message_sql: str) -> None:
        col = literal(column) if column else "NULL::VARCHAR"
        checks.append(
            f"CASE WHEN {condition} THEN {{'column_name': {col}, 'rule': {literal(rule)}, "
            f"'message': {message_sql}, 'position': {len(checks)}}} END"
        )

    def shown(text: str) -> str:
        return f"'value ' || {text}"

    for c in feed.columns:
        text, typed = ident(c.name + "__text"), ident(c.name)
        if c.required:
            add(c.name, "required", f"{text} IS NULL", literal("required value is missing"))
        if c.type in TYPE_FORMATS:
            add(c.name, "type", f"{text} IS NOT NULL AND {typed} IS NULL",
                shown(text) + f" || ' is not {TYPE_FORMATS[c.type]}'")
        if c.codes:
            codes = ", ".join(literal(v) for v in c.codes)
            add(c.name, "code_list", f"{text} NOT IN ({codes})",
                shown(text) + f" || ' is not one of {'/'.join(c.codes)}'")
        if c.effective_pattern:
            add(c.name, "format", f"NOT regexp_full_match({text}, {literal(c.effective_pattern)})",
                shown(text) + f" || ' does not match {c.effective_pattern}'")
        if c.minimum is not None:
            rule = "negative_amount" if c.type == "amount" and c.minimum == 0 else "range"
            add(c.name, rule, f"{typed} < {c.minimum}", shown(text) + f" || ' is below {c.minimum:g}'")
        if c.maximum is not None:
            add(c.name, "range", f"{typed} > {c.maximum}", shown(text) + f" || ' is above {c.maximum:g}'")
        if c.type == "date":
            latest = delivery.period_end if c.latest == "file_date" else today
            add(c.name, "implausible_date",
                f"{typed} < DATE '{EARLIEST_PLAUSIBLE_DATE}' OR {typed} > DATE '{latest.isoformat()}'",
                shown(text) + f" || ' lies outside {EARLIEST_PLAUSIBLE_DATE} .. {latest.isoformat()}'")
    if feed.period_column:
        add(feed.period_column, "period_mismatch",
            f"{ident(feed.period_column)} <> DATE '{delivery.period_start.isoformat()}'",
            shown(ident(feed.period_column + "__text"))
            + f" || ' differs from the file name period {delivery.period[:4]}-{delivery.period[4:6]}'")
    if feed.forbund_column and delivery.forbund_id:
        add(feed.forbund_column, "forbund_mismatch", f"{ident(feed.forbund_column)} <> {literal(delivery.forbund_id)}",
            shown(ident(feed.forbund_column + "__text")) + f" || ' differs from the file name förbund {delivery.forbund_id}'")
    for r in feed.row_rules:
        add(", ".join(r.columns), f"row_rule:{r.name}", f"({r.condition}) IS FALSE", literal(r.description))
    key = ", ".join(ident(k) for k in feed.key)
    return f"""
        WITH per_row AS (
            SELECT __line AS line, unnest(list_filter([{', '.join(checks)}], lambda v: v IS NOT NULL)) AS v
            FROM {STAGED}
        ), violations AS (
            SELECT line, v.column_name, v.rule, v.message, v.position FROM per_row
            UNION ALL
            SELECT unnest(lines[2:]), {literal(', '.join(feed.key))}, 'duplicate_key',
                   'same key as line ' || lines[1], {len(checks)}
            FROM (SELECT list(__line ORDER BY __line) AS lines FROM {STAGED} GROUP BY {key} HAVING count(*) > 1)
        )
        SELECT line, column_name, rule, message, count(*) OVER () AS total
        FROM violations ORDER BY line, rule, position LIMIT {limit}"""


# The feed's GX delivery suite (utfall.ingest.derive.delivery_suite) is derived from the same
# contract as the rules above: each expectation's `meta.rule` → the rule(s) here that judge the
# same column and contract field, at least as strictly. The loader runs in GX only the
# expectations not listed (utfall.ingest.gx_check.uncovered_expectations): each rule once.
SUITE_RULES_CHECKED_IN_SQL: dict[str, tuple[str, ...]] = {
    # unknown, missing or doubled columns (GX sees the staged rows, which hold every column)
    "header": ("header",),
    "required": ("required",),  # expect_column_values_to_not_be_null
    # expect_column_values_to_be_in_set: here on the delivered text, so '050' is refused too
    "code_list": ("code_list",),
    # expect_column_values_to_match_regex: here the whole value must match, GX searches
    "format": ("format",),
    "range": ("range", "negative_amount"),  # expect_column_values_to_be_between: same value, same bounds
    "duplicate_key": ("duplicate_key",),  # expect_(compound_)column(s)_values_to_be_unique
}


# A personnummer's shape holds at least ten digits (each at least one byte): shorter values
# are let past the costly pattern.
_PII_MIN_BYTES = 10


def pii_candidates_query(feed: Feed) -> str:
    """Values shaped like a personnummer in any written form (pii.SQL_*_PATTERN): whole values
    anywhere, and inside free text. `find_personal_numbers` decides which really are one.
    All columns judged alike are unpivoted into one, so each pattern (large: every Unicode
    digit) is compiled once per file, not once per column."""
    free_text = [c.name for c in feed.columns if c.type == "text" and not c.effective_pattern]
    parts = []
    for names, test in ((
        [c for c in feed.column_names if c not in free_text],
        f"regexp_full_match(candidate, {literal(pii.SQL_WHOLE_VALUE_PATTERN)})",
    ), (free_text, f"regexp_matches(candidate, {literal(pii.SQL_EMBEDDED_PATTERN)})")):
        if not names:
            continue
        texts = ", ".join(f"{ident(n + '__text')} AS {ident(n)}" for n in names)
        parts.append(f"SELECT __line, column_name, candidate FROM (UNPIVOT (SELECT __line, {texts} FROM {STAGED}) "
                     f"ON {', '.join(ident(n) for n in names)} INTO NAME column_name VALUE candidate) "
                     f"WHERE strlen(candidate) >= {_PII_MIN_BYTES} AND {test}")
    return " UNION ALL ".join(parts)


def find_personal_numbers(con: duckdb.DuckDBPyConnection, feed: Feed, today: date) -> list[Violation]:
    found = []
    order = ", ".join(literal(n) for n in feed.column_names)  # a line's columns in the contract's order
    for line, column, candidate in con.execute(
        f"{pii_candidates_query(feed)} ORDER BY __line, list_position([{order}], column_name)"
    ).fetchall():
        found.extend(personal_number_violations(candidate, today, line, column))
    return found


def personal_number_violations(text: str, today: date, line: int | None = None,
                               column: str | None = None) -> list[Violation]:
    """The personnummer and samordningsnummer in one value, header or file name; none quoted."""
    return [
        Violation("personal_identity_number",
                  f"holds a valid {'samordningsnummer' if number.is_coordination_number else 'personnummer'}; "
                  "deliveries must be pseudonymised", line, column)
        for _, _, number in pii.find(text, today)[:1]
    ]


def check_rules(con: duckdb.DuckDBPyConnection, delivery: Delivery, today: date, limit: int = 100) -> tuple[list[Violation], int]:
    """All contract rules over the staged file: (first `limit` violations by line, total count)."""
    # Personal numbers first: if there is one, the file is refused on that ground alone
    # and nothing else of it (values included) is echoed into reasons and logs.
    pii_found = find_personal_numbers(con, delivery.feed, today)
    if pii_found:
        return pii_found[:limit], len(pii_found)
    rows = con.execute(rules_query(delivery, today, limit)).fetchall()
    total = rows[0][4] if rows else 0
    return [Violation(rule, message, line, column) for line, column, rule, message, _ in rows], total
