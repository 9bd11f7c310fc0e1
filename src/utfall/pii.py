"""Swedish personnummer and samordningsnummer: recognise, validate, normalise.

One implementation serves both the loader's PII scan (refuse any delivery that holds
one, domain brief §2) and `utfall pseudonymise` (which must accept exactly the numbers
the scan would catch).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

# 10 or 12 digits, optional '-' or '+' before the last four. ASCII only: \d would also
# match other scripts' digits, and the normalised number must be plain ASCII.
_NUMBER = re.compile(r"^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{4})$", re.ASCII)

# The same shapes for DuckDB's RE2 (no look-around): a whole value, and inside free text.
SQL_WHOLE_VALUE_PATTERN = r"^\s*[0-9]{6}([0-9]{2})?[-+]?[0-9]{4}\s*$"
SQL_EMBEDDED_PATTERN = r"(?:^|[^0-9])([0-9]{6}(?:[0-9]{2})?[-+]?[0-9]{4})(?:[^0-9]|$)"


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
