"""Replace a personnummer column by person_id = HMAC-SHA256(key, 12-digit personnummer).

Run where the key is held (domain brief §2): agencies and the key custodian, never the
warehouse. The output is the input with that one column swapped for `person_id`. Rows whose
number is not a valid personnummer or samordningsnummer are left out and listed in a report
by line number and reason only, so the report holds no personal data either. The key is
never printed or written anywhere.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Iterator

from utfall.ingest import pii

if TYPE_CHECKING:
    from _csv import Reader

PERSON_ID = "person_id"
MIN_KEY_BYTES = 16
DELIMITER = ";"


class PseudonymisationError(Exception):
    """The run cannot start or go on (bad key, arguments or input); nothing was written."""


@dataclass(frozen=True)
class PseudonymisationResult:
    rows_in: int
    rows_out: int
    rows_refused: int
    refused_path: Path | None  # the report, when any row was refused


def person_id(key: bytes, normalised: str) -> str:
    """The pseudonym of a 12-digit normalised personnummer."""
    return hmac.new(key, normalised.encode("ascii"), hashlib.sha256).hexdigest()


def read_key(key_file: Path) -> bytes:
    """The key as stored, less one trailing newline (editors add one).

    CRLF counts as one newline, so a key file saved on Windows gives the same key.
    """
    try:
        key = key_file.read_bytes()
    except FileNotFoundError:
        raise PseudonymisationError(f"key file not found: {key_file}") from None
    except OSError as e:
        raise PseudonymisationError(f"cannot read key file {key_file}: {e.strerror}") from None
    key = key.removesuffix(b"\r\n") if key.endswith(b"\r\n") else key.removesuffix(b"\n")
    if not key:
        raise PseudonymisationError(f"key file {key_file} is empty")
    if len(key) < MIN_KEY_BYTES:
        raise PseudonymisationError(f"key in {key_file} is shorter than {MIN_KEY_BYTES} bytes")
    return key


def default_refused_path(out_path: Path) -> Path:
    return out_path.with_suffix(".refused.csv")


def pseudonymise_file(
    key_file: Path, column: str, in_path: Path, out_path: Path, refused: Path | None = None
) -> PseudonymisationResult:
    """Pseudonymise `column` of IN into OUT; refused rows go to the report (see module doc)."""
    key = read_key(key_file)
    refused_path = refused or default_refused_path(out_path)
    _check_paths(in_path, out_path, refused_path)
    try:
        src = open(in_path, "rb")
    except FileNotFoundError:
        raise PseudonymisationError(f"input file not found: {in_path}") from None
    except OSError as e:
        raise PseudonymisationError(f"cannot read {in_path}: {e.strerror}") from None
    with src:
        return _pseudonymise_lines(key, column, _decoded_lines(src, in_path), out_path, refused_path)


def _check_paths(in_path: Path, out_path: Path, refused_path: Path) -> None:
    # The report points at lines of IN, so IN must survive; and no file may overwrite another.
    resolved = {p.resolve() for p in (in_path, out_path, refused_path)}
    if len(resolved) < 3:
        raise PseudonymisationError("IN, OUT and the refused report must be three different files")
    for path in (out_path, refused_path):
        if not path.parent.is_dir():
            raise PseudonymisationError(f"folder does not exist: {path.parent}")


def _decoded_lines(src: IO[bytes], in_path: Path) -> Iterator[str]:
    """Decode line by line, so an encoding error is reported at its own line."""
    for number, raw in enumerate(src, start=1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")  # a BOM happens
        except UnicodeDecodeError:
            raise PseudonymisationError(f"{in_path} is not UTF-8 at line {number}") from None


def _pseudonymise_lines(
    key: bytes, column: str, lines: Iterator[str], out_path: Path, refused_path: Path
) -> PseudonymisationResult:
    reader = csv.reader(lines, delimiter=DELIMITER)
    header = _read_header(reader)
    index = _column_index(header, column)
    today = date.today()  # once, so a run over midnight judges every row alike
    rows_in = rows_out = rows_refused = 0
    with _PendingFile(out_path) as out, _PendingFile(refused_path) as report:
        writer = csv.writer(out.file, delimiter=DELIMITER, lineterminator="\n")
        refusals = csv.writer(report.file, delimiter=DELIMITER, lineterminator="\n")
        writer.writerow(header[:index] + [PERSON_ID] + header[index + 1 :])
        refusals.writerow(["line", "reason"])
        for line, row in _data_rows(reader):
            rows_in += 1
            reason = _pseudonymise_row(key, row, index, len(header), today)
            if reason is None:
                writer.writerow(row)
                rows_out += 1
            else:
                refusals.writerow([line, reason])
                rows_refused += 1
        if rows_refused:
            report.commit()
        else:
            # A report left from an earlier run would describe rows that are now fine.
            refused_path.unlink(missing_ok=True)
        out.commit()
    return PseudonymisationResult(rows_in, rows_out, rows_refused, refused_path if rows_refused else None)


def _read_header(reader: Reader) -> list[str]:
    header = next(reader, None)
    if header is None:
        raise PseudonymisationError("the input is empty (no header row)")
    return header


def _column_index(header: list[str], column: str) -> int:
    if column not in header:
        raise PseudonymisationError(f"no column {column!r}; the columns are: {', '.join(header)}")
    if header.count(column) > 1:
        # Only one would be replaced: the other would carry personnummer into the output.
        raise PseudonymisationError(f"column {column!r} occurs more than once")
    if PERSON_ID in header and column != PERSON_ID:
        raise PseudonymisationError(f"the input already has a {PERSON_ID} column")
    return header.index(column)


def _data_rows(reader: Reader) -> Iterator[tuple[int, list[str]]]:
    """Rows with the line of IN they start on (a quoted field may span lines)."""
    start = reader.line_num + 1
    for row in reader:
        if row:  # a blank line holds no data
            yield start, row
        start = reader.line_num + 1


def _pseudonymise_row(key: bytes, row: list[str], index: int, width: int, today: date) -> str | None:
    """Swap the number for its pseudonym in place; or return why the row is refused."""
    if len(row) != width:
        return f"{len(row)} fields where the header has {width}"
    if not row[index].strip():
        return "empty"
    try:
        number = pii.parse(row[index], today)
    except pii.InvalidNumber as e:
        return str(e)
    row[index] = person_id(key, number.normalised)
    return None


class _PendingFile:
    """A temporary file beside `target` that replaces it atomically on commit().

    Discarded if the block ends without commit(), so a failed run leaves no half-written
    file and keeps whatever was there before.
    """

    def __init__(self, target: Path) -> None:
        self._target = target
        # mkstemp makes the file readable by its owner only, as befits personal data.
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
        self._temp = Path(name)
        self.file = os.fdopen(fd, "w", encoding="utf-8", newline="")

    def commit(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())  # the data is on disk before the name points at it
        self.file.close()
        os.replace(self._temp, self._target)

    def __enter__(self) -> _PendingFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.file.close()
        self._temp.unlink(missing_ok=True)
