"""Paths built from input (förbund ids, feed folders, delivered file names), checked before use.

Such a path is a root Utfall owns (outbox, inbox, archive, quarantine) joined with parts that
each must be one plain name; the result, resolved, must still lie inside the resolved root.
So '..', '/', a symlinked folder or a crafted förbund id never lead a write or a delete out
of its place.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from utfall.ingest.contracts import FORBUND_ID_PATTERN

# Longest file name the file system takes (bytes); a stored delivery's name leaves room for
# the load id in front and ".reason.txt" behind.
NAME_MAX = 255
STORED_NAME_MAX = 200


class PlaceError(ValueError):
    """A path built from input would not be a plain name inside its root."""


def checked_forbund_id(forbund_id: str) -> str:
    """The förbund id, if it matches the contract's pattern (the value is not echoed: it is input)."""
    if not re.fullmatch(FORBUND_ID_PATTERN, forbund_id):
        raise PlaceError("malformed förbund id: expected 1–20 letters A–Z, digits or '-' (pattern "
                         f"{FORBUND_ID_PATTERN})")
    return forbund_id


def inside(root: Path, *parts: str) -> Path:
    """root/part/…, refused unless every part is one plain name and the result stays in root."""
    for part in parts:
        if part in ("", ".", "..") or "/" in part or os.sep in part or "\0" in part:
            raise PlaceError(f"{readable_name(part)!r} is not a plain file or folder name (under {root})")
    path = root.joinpath(*parts)
    if not path.resolve().is_relative_to(root.resolve()):
        raise PlaceError(f"{path} leads outside {root}")
    return path


def readable_name(name: str) -> str:
    """A file name as text: bytes that are no UTF-8 (Python keeps them as surrogates) become U+FFFD,
    so the name can go into the ledger, a reason file or a log."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def stored_name(name: str) -> str:
    """The name a delivery is kept under in archive or quarantine: readable, and short enough
    that the load id in front and '.reason.txt' behind still fit the file system's limit.
    A long name keeps its beginning and its suffix."""
    name = readable_name(name)
    if len(name.encode("utf-8")) <= STORED_NAME_MAX:
        return name
    suffix = Path(name).suffix if len(Path(name).suffix) <= 16 else ""
    budget = STORED_NAME_MAX - len(suffix.encode("utf-8")) - len("…".encode("utf-8"))
    head = name.encode("utf-8")[:budget].decode("utf-8", "ignore")
    return f"{head}…{suffix}"
