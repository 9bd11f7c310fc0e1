"""Swedish personnummer and samordningsnummer: recognise, validate, normalise, redact.

One implementation serves the loader's PII scan (refuse any delivery that holds one,
domain brief §2), `utfall pseudonymise` and `redact`, applied to every message, ledger
value and stored file name that may quote input.

`parse` (pseudonymise) takes the written forms an agency's register holds: 10 or 12 ASCII
digits, optional '-' or '+'. `find` (the scan, `redact`) also takes the forms people type
and exports produce: full-width or other scripts' digits, en dash, minus sign and other
dashes for '-', a space (also no-break or thin) before the last four or after the century,
invisible characters (soft hyphen, zero-width space) after any digit. `VARIANT_TABLE` folds
those to ASCII; the SQL patterns for the scan are built from the same table.
"""

from __future__ import annotations

import calendar
import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

# 10 or 12 digits, optional '-' or '+' before the last four. ASCII only: \d would also
# match other scripts' digits, and the normalised number must be plain ASCII.
_NUMBER = re.compile(r"^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{4})$", re.ASCII)

# Folding drops these: they hide between digits and show as nothing.
_INVISIBLE = "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"


def _variant_table() -> dict[int, str | None]:
    """Non-ASCII characters that read as a digit, a dash, a plus or a space → their ASCII form."""
    table: dict[int, str | None] = {}
    for cp in range(0x80, 0x20000):  # planes 0 and 1 hold every script's digits and dashes
        ch = chr(cp)
        category = unicodedata.category(ch)
        if category == "Nd":
            table[cp] = str(unicodedata.digit(ch))
        elif category == "Pd" or ch == "\u2212":  # every dash, and the minus sign
            table[cp] = "-"
        elif category == "Zs":
            table[cp] = " "
        elif category in ("No", "Sm"):  # superscript and circled digits, full-width and small '+'
            folded = unicodedata.normalize("NFKC", ch)
            if len(folded) == 1 and folded in "0123456789+":
                table[cp] = folded
    return table | dict.fromkeys(map(ord, _INVISIBLE))


VARIANT_TABLE = _variant_table()


def _re2_set(*folded_to: str) -> str:
    """The inside of an RE2 character class: those ASCII characters and every variant folding to one."""
    cps = sorted({ord(c) for c in folded_to} | {cp for cp, to in VARIANT_TABLE.items() if to and to in folded_to})
    ranges: list[list[int]] = []
    for cp in cps:
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    return "".join(rf"\x{{{a:x}}}" + (rf"-\x{{{b:x}}}" if b > a else "") for a, b in ranges)


# The same shapes for DuckDB's RE2, on the unfolded text (folding every value in SQL would
# cost more than all the other checks together); the few values they catch are folded and
# checked in Python by `find`. Invisible characters may follow any part. RE2 has no
# look-around: a whole value, and inside free text.
_DIGITS, _SPACES = _re2_set(*"0123456789"), _re2_set(" ")
_INVISIBLES = f"[{_re2_set(*_INVISIBLE)}]*"
_D, _S, _SIGN = (f"[{chars}]{_INVISIBLES}" for chars in (_DIGITS, _SPACES, _re2_set("-", "+")))
_SHAPE = f"(?:(?:{_D}){{2}}(?:{_S})?)?(?:{_D}){{6}}(?:{_S})*(?:{_SIGN})?(?:{_S})*(?:{_D}){{4}}"
SQL_WHOLE_VALUE_PATTERN = rf"^[\s{_SPACES}]*{_SHAPE}[\s{_SPACES}]*$"
SQL_EMBEDDED_PATTERN = rf"(?:^|[^{_DIGITS}]){_SHAPE}(?:[^{_DIGITS}]|$)"

# After folding: 10 or 12 digits; a space may follow the century, and '-', '+' or spaces
# may stand before the last four.
_FOLDED_NUMBER = re.compile(r"(?<![0-9])(?:([0-9]{2}) ?)?([0-9]{6}) *([-+]?) *([0-9]{4})(?![0-9])", re.ASCII)


class InvalidNumber(ValueError):
    """Why a string is not a valid personnummer or samordningsnummer."""


@dataclass(frozen=True)
class IdentityNumber:
    normalised: str  # 12 digits, YYYYMMDDNNNC
    is_coordination_number: bool  # samordningsnummer: day + 60


def luhn_ok(ten_digits: str) -> bool:
    total = 0
    for i, ch in enumerate(ten_digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def parse(value: str, today: date | None = None) -> IdentityNumber:
    """Validate and normalise; raise InvalidNumber saying which rule failed.

    Reasons never repeat the value or its parts: they end up in reports and logs.
    """
    today = today or date.today()
    m = _NUMBER.match(value.strip())
    if not m:
        raise InvalidNumber("not 10 or 12 digits with an optional - or + before the last four")
    century, yy, mm, dd, sep, tail = m.groups()
    month, day = int(mm), int(dd)
    coordination = day > 60
    if coordination:
        day -= 60
    if not 1 <= month <= 12:
        raise InvalidNumber("month is not 01-12")
    year = _birth_year(century, yy, sep, today)
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        what = "coordination day (day + 60)" if coordination else "day"
        raise InvalidNumber(f"{what} does not exist in that month and year")
    if date(year, month, day) > today:
        raise InvalidNumber("date of birth lies in the future")
    if not luhn_ok(yy + mm + dd + tail):
        raise InvalidNumber("Luhn check digit does not match")
    return IdentityNumber(f"{year:04d}{mm}{dd}{tail}", coordination)


def _birth_year(century: str | None, yy: str, sep: str, today: date) -> int:
    if century is not None:
        # Anything else cannot be a living person's number (and year 0 is no date at all).
        if century not in ("18", "19", "20"):
            raise InvalidNumber("century is not 18, 19 or 20")
        return int(century + yy)
    # 10 digits: the most recent matching year; '+' (written from the year someone turns
    # 100) means a century earlier.
    year = today.year - (today.year - int(yy)) % 100
    return year - 100 if sep == "+" else year


def looks_like_identity_number(value: str, today: date | None = None) -> bool:
    try:
        parse(value, today)
    except InvalidNumber:
        return False
    return True


def mask(value: str) -> str:
    """Show where a number was found without repeating it (reasons and logs are read widely)."""
    v = value.strip()
    return v[:4] + "*" * (len(v) - 4) if len(v) > 4 else "*" * len(v)


def fold(text: str) -> str:
    """The text with variant digits, dashes and spaces in ASCII and invisible characters gone."""
    return text if text.isascii() else text.translate(VARIANT_TABLE)


def find(text: str, today: date | None = None) -> list[tuple[int, int, IdentityNumber]]:
    """Every valid number in the text, in any variant form: (start, end) in `text`, and the number."""
    folded, where = _fold_with_positions(text)
    found = []
    for m in _FOLDED_NUMBER.finditer(folded):
        century, yymmdd, sep, tail = m.groups()
        start = m.start()
        try:
            number = parse(f"{century or ''}{yymmdd}{sep}{tail}", today)
        except InvalidNumber:
            if century is None:
                continue
            try:  # two digits before a valid 10-digit number are no century of it
                number, start = parse(f"{yymmdd}{sep}{tail}", today), m.start(2)
            except InvalidNumber:
                continue
        found.append((where[start], where[m.end() - 1] + 1, number))
    return found


def contains(text: str, today: date | None = None) -> bool:
    return bool(find(text, today))


def redact(text: str | None) -> str | None:
    """The text with every valid number replaced by X for each digit (its shape stays, not its digits).

    Used on everything that may quote input before it is printed, logged or stored.
    """
    if text is None:
        return text
    hits = find(text)
    for start, end, _ in reversed(hits):
        text = text[:start] + re.sub("[0-9]", "X", fold(text[start:end])) + text[end:]
    return text


def _fold_with_positions(text: str) -> tuple[str, Sequence[int]]:
    """Folded text, and for each of its characters the index of the character it came from."""
    if text.isascii():
        return text, range(len(text))
    folded, where = [], []
    for i, ch in enumerate(text):
        to = VARIANT_TABLE.get(ord(ch), ch)
        if to is not None:
            folded.append(to)
            where.append(i)
    return "".join(folded), where


class RedactingFilter(logging.Filter):
    """A handler filter that redacts every record it lets through (messages quote file names and values)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), ()
        if record.exc_info:  # a traceback may quote input too: redacted as text, shown as such
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
