"""What the `utfall` CLI shows while it works: one logging set-up for every command, and a
progress line for the long ones. Both go to stderr, so stdout stays the command's result."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from utfall import __version__

from utfall.ingest import pii

log = logging.getLogger("utfall.cli.main")

# -q: only warnings and errors; default: our own progress; -v: our own details too.
LEVELS = {-1: logging.WARNING, 0: logging.INFO, 1: logging.DEBUG}


def configure_logging(err: Console, verbosity: int) -> None:
    """Utfall's loggers at the level -q/-v chose; libraries (GX is chatty) only when they warn.

    Replaces the handler of an earlier call, so a process that runs several commands (tests)
    does not print each line twice.
    """
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "utfall_cli", False)]:
        root.removeHandler(handler)
    handler = RichHandler(console=err, show_path=False)
    # log lines quote file names and input: never a personnummer
    handler.addFilter(pii.RedactingFilter())
    handler.setFormatter(logging.Formatter("%(message)s"))
    # Some libraries (GX) set their own loggers to INFO: below WARNING only Utfall's pass.
    handler.addFilter(lambda record: record.levelno >= logging.WARNING or record.name.split(".")[0] == "utfall")
    handler.utfall_cli = True
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("utfall").setLevel(LEVELS[verbosity])
    # Which installation and data folder answered: the first question when output surprises.
    log.debug("utfall %s, UTFALL_HOME=%s", __version__, os.environ.get("UTFALL_HOME", "./data (default)"))


def shows_progress(err: Console) -> bool:
    """Progress displays only on a terminal and not under -q: piped output gets log lines alone."""
    return err.is_terminal and logging.getLogger("utfall").isEnabledFor(logging.INFO)


@contextmanager
def working(err: Console, description: str) -> Iterator[None]:
    """A spinner with the elapsed time while a long step runs; log lines print above it."""
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=err, transient=True, disable=not shows_progress(err)) as progress:
        progress.add_task(description, total=None)
        yield
