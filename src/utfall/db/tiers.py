"""File permissions by tier: who may read what Utfall writes under $UTFALL_HOME.

Three tiers (domain spec §2): the engineers' (raw deliveries, the warehouse, quality
reports: person-level or close to it), the analysts' (the person-free published copy) and
the reporters' (the suppressed evaluations for förbund staff). The mode of every file and
folder Utfall creates is set explicitly after it is written, so it does not depend on the
umask of whoever ran the command; the umask is only tightened while the command runs, so
nothing (DuckDB's WAL and spill files, dbt's artefacts) is ever readable by others on its
way to its final mode. Which group is "the engineers' group" is the group of the account
that runs Utfall (the pipeline's account; engineers are members of its group).
"""

from __future__ import annotations

import functools
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from utfall.db.config import Paths

log = logging.getLogger("utfall.db.tiers")


@dataclass(frozen=True)
class Tier:
    name: str
    folder_mode: int
    file_mode: int


ENGINEERS = Tier("engineers", 0o750, 0o640)  # the account's group may read; others nothing
ANALYSTS = Tier("analysts", 0o755, 0o644)
REPORTERS = Tier("reporters", 0o755, 0o644)
# Others may pass through $UTFALL_HOME to published/ and outbox/, but not list it.
HOME_MODE = 0o751
# While Utfall runs, whatever it creates is at most group-readable, never other-readable.
UMASK_BITS = 0o027

# What Utfall creates directly under $UTFALL_HOME, and its tier. The inbox belongs to the
# agencies' delivery account and airflow/ to Airflow: neither is touched here.
LAYOUT: dict[str, Tier] = {
    "warehouse.duckdb": ENGINEERS,
    "warehouse.duckdb.wal": ENGINEERS,
    "archive": ENGINEERS,
    "quarantine": ENGINEERS,
    "dq": ENGINEERS,
    "dbt": ENGINEERS,
    "logs": ENGINEERS,  # the loader's timings (file names and seconds)
    "published": ANALYSTS,
    "outbox": REPORTERS,
}


def restrict_umask() -> int:
    """Tighten (never loosen) the process umask, so new files start in the engineers' tier;
    returns the umask before, to restore."""
    before = os.umask(0)
    os.umask(before | UMASK_BITS)
    return before


def secure(paths: Paths) -> None:
    """Give $UTFALL_HOME and everything of LAYOUT beneath it its tier's modes."""
    if not paths.home.is_dir():
        return
    not_ours = _chmod(paths.home, HOME_MODE)
    for name, tier in LAYOUT.items():
        not_ours += secure_tree(paths.home / name, tier)
    if not_ours:
        # Files of another account (an engineer's manual run): its owner must fix them.
        log.warning("could not set the mode of %d path(s) under %s owned by another account", not_ours, paths.home)


def secure_tree(root: Path, tier: Tier) -> int:
    """root and everything beneath it get the tier's modes; symlinks are never followed.
    Returns how many paths could not be changed (owned by someone else)."""
    if root.is_symlink() or not root.exists():
        return 0
    not_ours = _chmod(root, tier.folder_mode if root.is_dir() else tier.file_mode)
    for folder, folders, files in os.walk(root):
        for name in folders:
            not_ours += _chmod(Path(folder) / name, tier.folder_mode)
        for name in files:
            not_ours += _chmod(Path(folder) / name, tier.file_mode)
    return not_ours


def secured(function):
    """Decorate a command whose first argument is Paths: the umask is tightened while it
    runs, and afterwards (also after a failure) what it wrote gets its tier's modes."""
    @functools.wraps(function)
    def wrapper(paths: Paths, *args, **kwargs):
        before = restrict_umask()
        try:
            return function(paths, *args, **kwargs)
        finally:
            try:
                secure(paths)
            finally:
                os.umask(before)  # the caller's own files are not ours to restrict
    return wrapper


def _chmod(path: Path, mode: int) -> int:
    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode) or stat.S_IMODE(st.st_mode) == mode:
            return 0
        os.chmod(path, mode)
    except FileNotFoundError:  # removed meanwhile (a temporary file)
        return 0
    except PermissionError:
        return 1
    return 0
