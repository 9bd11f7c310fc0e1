"""Take delivered files from the inbox into the raw schema, whole or not at all.

For each file in $UTFALL_HOME/inbox/<feed>/ (oldest first):
  * same bytes as a file loaded, or → ledger row 'duplicate', file to archive, nothing loaded
    refused for its content            (a file refused for its folder or name may come again);
  * not a delivery / breaks a rule  → ledger row 'quarantined', file and <file>.reason.txt
                                      to quarantine/<feed>/, nothing loaded;
  * valid                           → rows and ledger row in ONE transaction; an earlier
                                      load of the same feed and period (or förbund snapshot)
                                      becomes 'superseded' in that same transaction; then the
                                      file moves to archive/<feed>/.
The ledger row names where the file is going before it moves, so a process killed
between commit and move is finished by the next run instead of counted twice (and that
run reports the move, not a load).

Nothing in the inbox is followed or trusted: an entry that is not a regular file (a symlink,
a folder inside a feed folder, a FIFO, a device) is quarantined unopened (rule
`not_regular_file`); any other failure while handling one file quarantines it with rule
`unreadable` and the exception's class, and the run goes on. A file that cannot even be
moved stays where it is and is named in `LoadReport.unhandled` (exit 1). Every path built
from a folder or file name is checked to lie inside its root (utfall.ingest.places). Loads take
the warehouse (DuckDB's writer lock, PostgreSQL's loader lock) before they list the inbox,
so two loads at once wait for each other and the second sees what the first left.

Files are read and checked with DuckDB. On the DuckDB warehouse that happens in the warehouse
itself; on PostgreSQL (paths.warehouse_dsn) in an in-memory DuckDB, and the checked rows go to
raw with COPY inside the same transaction as the ledger row.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import logging
import os
import shutil
import stat
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from utfall.db import connection
from utfall.ingest import ledger, load_timings, pii

from utfall.db import tiers
from utfall.db.config import Paths
from utfall.ingest.contracts import FEEDS
from utfall.ingest.delivery_names import Delivery, DeliveryNameError, identify
from utfall.ingest.gx_check import validate_uncovered
from utfall.db.stage_timings import Laps
from utfall.ingest.places import inside, readable_name, stored_name
from utfall.db.sql import ident
from utfall.db.transactions import transaction
from utfall.ingest.validation import STAGED, FileRefused, Violation, check_rules, stage

log = logging.getLogger("utfall.ingest.loader")

UNKNOWN_FEED_FOLDER = "_okand_flode"  # quarantine folder for files outside any feed folder
MAX_LISTED_VIOLATIONS = 100
# Rules that refuse a file for its bytes alone, in any folder and under any name (the name decides
# the feed, the format and the period every other rule checks against).
REFUSED_WHEREVER_IT_LIES = frozenset({"personal_identity_number", "empty_file"})


@dataclass(frozen=True)
class FileOutcome:
    feed: str | None
    file_name: str
    status: str  # loaded, quarantined, duplicate, superseded (loaded but an equal-or-newer one exists)
    load_id: int | None
    rows_in_file: int | None
    rows_loaded: int
    reason: str | None
    stored_path: Path
    recovered: bool = False  # an interrupted earlier run had committed it; this run only moved it (rows_loaded 0)
    violations: tuple[Violation, ...] = ()  # a refused file's, the first MAX_LISTED_VIOLATIONS (for alerts)
    violations_total: int = 0
    seconds: dict[str, float] = field(default_factory=dict)  # per stage of its load (load_timings.STAGES)


@dataclass
class LoadReport:
    outcomes: list[FileOutcome]
    # Inbox entries that could not be handled at all and were left where they are (why, per entry)
    unhandled: list[str] = field(default_factory=list)

    @property
    def quarantined(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "quarantined"]

    @property
    def exit_code(self) -> int:
        return 1 if self.quarantined or self.unhandled else 0


class MoveFailed(OSError):
    """The ledger row is committed but the file could not be moved out of the inbox; the next
    load finishes the move (as after a kill between commit and move)."""


class UsageError(ValueError):
    pass


def pending_files(paths: Paths, feed: str | None = None,
                  problems: list[str] | None = None) -> list[tuple[str | None, Path]]:
    """Entries waiting in the inbox as (feed folder, path), oldest delivery first.

    Every entry of a feed folder counts, whatever it is; directly in the inbox, whatever is
    not a real folder (a symlink to one included). Nothing is followed or opened here. The
    feed folder is given as text (`readable_name`), the path as it is.
    A folder that cannot be listed is skipped and named in `problems`."""
    if not paths.inbox.is_dir():
        return []
    problems = [] if problems is None else problems
    found: list[tuple[str | None, Path, int]] = []
    for entry in _entries(paths.inbox, problems):
        if entry.is_dir(follow_symlinks=False):
            if feed is None or entry.name == feed:
                found.extend((readable_name(entry.name), Path(e.path), _mtime(e))
                             for e in _entries(Path(entry.path), problems))
        elif feed is None:
            found.append((None, Path(entry.path), _mtime(entry)))
    # Delivery order decides which correction wins: modification time, then name.
    return [(folder, path) for folder, path, _ in sorted(found, key=lambda f: (f[0] or "", f[2], f[1].name))]


def _entries(folder: Path, problems: list[str]) -> list[os.DirEntry]:
    """A folder's entries but hidden ones (an agency's half-copied '.name.tmp'); none when it
    cannot be listed (then named in `problems`: the folder stays, the next run tries again)."""
    try:
        with os.scandir(folder) as it:
            return [e for e in it if not e.name.startswith(".")]
    except OSError as e:
        problems.append(f"folder {readable_name(str(folder))} could not be listed ({type(e).__name__}); "
                        "left as it is")
        return []


def _mtime(entry: os.DirEntry) -> int:
    try:
        return entry.stat(follow_symlinks=False).st_mtime_ns
    except OSError:
        return 0


ProgressCallback = Callable[[Path, float], None]  # (file, fraction of it done)


@tiers.secured
def load(
    paths: Paths,
    feed: str | None = None,
    today: date | None = None,
    on_file: Callable[[Path, FileOutcome], None] | None = None,
    on_progress: ProgressCallback | None = None,
    on_start: Callable[[list[tuple[str | None, Path]]], None] | None = None,
) -> LoadReport:
    """Handle every file of the inbox (or of one feed's folder). `on_start` gets the files
    about to be handled, once the warehouse is held; `on_file` each file's outcome."""
    if feed is not None and feed not in FEEDS:
        raise UsageError(f"unknown feed {feed!r}; known feeds: {', '.join(FEEDS)}")
    today = today or date.today()
    report = LoadReport([])
    problems: list[str] = []
    if not pending_files(paths, feed, problems):
        _unhandled(report, problems)
        if not problems:
            log.info("nothing new in %s", paths.inbox / (feed or ""))
        return report
    con = connection.connect_for_loading(paths)  # waits for another load or a build
    checker = duckdb.connect() if paths.warehouse_dsn else con
    try:
        ledger.ensure_schema(con)
        # Listed again now that no other load runs: what it took is gone, what it left is here.
        problems.clear()
        files = pending_files(paths, feed, problems)
        _unhandled(report, problems)
        if on_start:
            on_start(files)
        for folder, path in files:
            if not os.path.lexists(path):
                continue  # gone since it was listed (taken back by whoever put it there)
            laps = Laps()
            try:
                outcome = load_file(con, checker, paths, folder, path, today, on_progress, laps)
            except MoveFailed as e:
                _unhandled(report, [str(e)])
                continue
            except Exception as e:  # noqa: BLE001 - one file's failure must not block the inbox
                try:
                    outcome = _refuse_unreadable(con, paths, folder, path, e, laps)
                except Exception as again:  # noqa: BLE001
                    _unhandled(report, [f"{readable_name(path.name)}: could not be handled ({type(e).__name__}) "
                                        f"nor quarantined ({type(again).__name__}); left in the inbox"])
                    continue
            laps.lap("other")
            outcome = dataclasses.replace(outcome, seconds=laps.rounded())
            _log_timings(paths, outcome)
            report.outcomes.append(outcome)
            if on_file:
                on_file(path, outcome)
    finally:
        if checker is not con:
            checker.close()
        con.close()
    return report


def _log_timings(paths: Paths, o: FileOutcome) -> None:
    load_timings.append(paths.home, [{"load_id": o.load_id, "feed": o.feed, "file": o.file_name, "status": o.status,
                                      "rows": o.rows_loaded, "seconds": o.seconds}])


def _unhandled(report: LoadReport, problems: list[str]) -> None:
    problems = [pii.redact(p) for p in problems]  # they name folders and files
    for problem in problems:
        log.error("%s", problem)
    report.unhandled.extend(problems)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    # Never through a symlink put there since it was judged regular, never waiting on a FIFO.
    with os.fdopen(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK), "rb") as fh:
        while chunk := fh.read(4 * 1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _watch_progress(con, path: Path, on_progress: ProgressCallback | None, start: float, end: float) -> Iterator[None]:
    """Report DuckDB's progress through a long statement as a share of the file's [start, end]."""
    if on_progress is None:
        yield
        return
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(0.2):
            percent = con.query_progress()
            if percent >= 0:
                on_progress(path, start + (end - start) * percent / 100)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()
        on_progress(path, end)


def load_file(con, checker: duckdb.DuckDBPyConnection, paths: Paths, folder: str | None, path: Path, today: date,
              on_progress: ProgressCallback | None = None, laps: Laps | None = None) -> FileOutcome:
    """One file: `con` holds raw and the ledger; `checker`, a DuckDB connection (on the DuckDB
    warehouse `con` itself), reads and checks the file; `laps` times its stages.

    A personnummer in the folder or file name is redacted in everything stored or shown,
    the file's own name in archive and quarantine included (its bytes are kept as delivered)."""
    folder = pii.redact(folder)
    laps = laps or Laps()
    kind = _not_regular(path)
    if kind:
        return _refuse_unopened(con, paths, folder, path, "not_regular_file",
                                f"{kind}, not a regular file: quarantined unopened, nothing of it was read", laps)
    name = pii.redact(readable_name(path.name))
    sha = sha256_of(path)
    seen = con.execute(
        "SELECT load_id, file_name, status, stored_path, refused_for_place, rows_in_file, feed FROM raw.loads "
        "WHERE sha256 = ? ORDER BY load_id", [sha]
    ).fetchall()
    laps.lap("hash")
    if seen and _interrupted_before_move(seen[-1], folder, name):
        return _finish_interrupted(con, path, seen[-1][0], laps)
    # Identity is the bytes and the place: a file refused for its folder or name may come again
    # from the right place; one loaded, or refused for its content, is a duplicate wherever it lies.
    # An empty month is its header alone, the same bytes for every month of its feed: only the
    # same name in the same folder (feed and period) makes it a duplicate.
    prior = [r for r in seen
             # refused_for_place is NULL on rows older than the column: judged as refused for content
             if (r[2] in ("loaded", "superseded") or (r[2] == "quarantined" and r[4] is not True))
             and (r[5] != 0 or (r[1] == name and r[6] == folder))]
    load_id = ledger.next_load_id(con)
    common = dict(load_id=load_id, feed=folder if folder in FEEDS else None, file_name=name, sha256=sha,
                  file_size=path.stat().st_size)
    if prior:
        first_id, first_name, first_status, *_ = prior[0]
        reason = f"same content as load {first_id} ({first_name}, {first_status}); nothing loaded"
        target = _place(paths.archive, folder, archived_name(load_id, name))
        _commit_record(con, status="duplicate", rows_in_file=None, rows_loaded=0, reason=reason,
                       stored_path=str(target), **common)
        laps.lap("ledger")
        _move(path, target)
        laps.lap("move")
        log.info("%s: duplicate of load %s, nothing loaded", name, first_id)
        return FileOutcome(folder, name, "duplicate", load_id, None, 0, reason, target)
    try:
        if folder is None:
            raise DeliveryNameError("unknown_feed", "file lies directly in the inbox, not in a feed folder")
        delivery = identify(path, folder, today)
    except DeliveryNameError as e:
        return _quarantine(con, paths, folder, path, common, None, [Violation(e.rule, str(e))], 1, None, laps)
    common.update(period=delivery.period, forbund_id=delivery.forbund_id)
    rows: int | None = None
    try:
        with _watch_progress(checker, path, on_progress, 0.0, 0.5):
            rows = stage(checker, delivery, today)
        laps.lap("read")
        violations, total = check_rules(checker, delivery, today, MAX_LISTED_VIOLATIONS)
        laps.lap("rules")
        if on_progress:
            on_progress(path, 0.6)
        if not violations:
            # only what the SQL rules do not check (today nothing: then GX is not even imported)
            violations, total = validate_uncovered(checker, delivery.feed, MAX_LISTED_VIOLATIONS)
            laps.lap("gx")
        if violations:
            return _quarantine(con, paths, folder, path, common, delivery, violations, total, rows, laps)
        if on_progress:
            on_progress(path, 0.8)
        with _watch_progress(checker, path, on_progress, 0.8, 1.0):
            return _insert(con, checker, paths, delivery, common, rows, laps)
    except FileRefused as e:
        laps.lap("read")  # only reading refuses a file by raising
        return _quarantine(con, paths, folder, path, common, delivery, e.violations, e.total, rows, laps)
    finally:
        checker.execute(f"DROP TABLE IF EXISTS {STAGED}")


COPY_BATCH_ROWS = 50_000


def _insert(con, checker, paths: Paths, delivery: Delivery, common: dict, rows: int, laps: Laps) -> FileOutcome:
    feed = delivery.feed
    load_id = common["load_id"]
    target = _place(paths.archive, feed.name, archived_name(load_id, common["file_name"]))
    columns = ", ".join(ident(c) for c in feed.column_names)
    select_staged = f"SELECT {load_id}, __line, {columns} FROM {STAGED}"
    with transaction(con):  # raw.<feed> is made or grown by ledger.ensure_schema as the load begins
        if checker is con:
            con.execute(f"INSERT INTO {feed.raw_table} (load_id, source_line, {columns}) {select_staged}")
        else:
            staged = checker.execute(select_staged)
            con.copy_rows(feed.raw_table, ["load_id", "source_line", *map(ident, feed.column_names)],
                          iter(lambda: staged.fetchmany(COPY_BATCH_ROWS), []))
        loaded = con.execute(f"SELECT count(*) FROM {feed.raw_table} WHERE load_id = ?", [load_id]).fetchone()[0]
        laps.lap("insert")
        status, reason, superseded_by = _supersede(con, delivery, load_id)
        ledger.record(con, status=status, rows_in_file=rows, rows_loaded=loaded, reason=reason,
                      superseded_by=superseded_by, stored_path=str(target), loaded_at=ledger.utc_now(), **common)
    laps.lap("ledger")  # the commit included
    _move(delivery.path, target)
    laps.lap("move")
    log.info("%s: %s rows loaded into %s (load %s)%s", common["file_name"], loaded, feed.raw_table, load_id,
             f"; {reason}" if reason else "")
    return FileOutcome(feed.name, common["file_name"], status, load_id, rows, loaded, reason, target)


def _supersede(con, delivery: Delivery, load_id: int) -> tuple[str, str | None, int | None]:
    """Mark what this file replaces; return this file's own (status, reason, superseded_by)."""
    feed = delivery.feed
    if feed.kind == "monthly":
        scope_sql, scope_args = "period = ?", [delivery.period]
        newer = []
    else:
        # A register snapshot replaces that förbund's older snapshots (by extract date).
        scope_sql, scope_args = "forbund_id = ? AND period <= ?", [delivery.forbund_id, delivery.period]
        newer = con.execute(
            "SELECT load_id, period FROM raw.loads WHERE feed = ? AND forbund_id = ? AND period > ? "
            "AND status = 'loaded' ORDER BY period DESC LIMIT 1",
            [feed.name, delivery.forbund_id, delivery.period],
        ).fetchall()
    if newer:
        return "superseded", f"a newer snapshot ({newer[0][1]}, load {newer[0][0]}) is already loaded", newer[0][0]
    replaced = con.execute(
        f"UPDATE raw.loads SET status = 'superseded', superseded_by = ?, "
        f"reason = 'replaced by load ' || ? || ' (correction)' "
        f"WHERE feed = ? AND status = 'loaded' AND {scope_sql} RETURNING load_id",
        [load_id, load_id, feed.name, *scope_args],
    ).fetchall()
    if replaced:
        ids = ", ".join(str(r[0]) for r in replaced)
        return "loaded", f"correction: supersedes load {ids}", None
    return "loaded", None, None


def _quarantine(con, paths: Paths, folder: str | None, path: Path, common: dict, delivery: Delivery | None,
                violations: list[Violation], total: int, rows: int | None, laps: Laps) -> FileOutcome:
    target = _place(paths.quarantine, folder, stored_name(common["file_name"]))
    reason_path = target.with_name(target.name + ".reason.txt")
    rules = sorted({v.rule for v in violations})
    summary = f"refused: {', '.join(rules)} ({total} violation{'s' if total != 1 else ''})"
    _write_atomically(reason_path, readable_name(_reason_text(folder, common, violations, total)))
    _commit_record(con, status="quarantined", rows_in_file=rows, rows_loaded=0, reason=summary,
                   # a file refused for its name (no delivery: even for a personnummer in the name) may
                   # come again under another name; one refused for its content is a duplicate anywhere
                   refused_for_place=delivery is None
                   or not any(v.rule in REFUSED_WHEREVER_IT_LIES for v in violations),
                   stored_path=str(target), **common)
    laps.lap("ledger")  # the reason file included
    _move(path, target)
    laps.lap("move")
    log.error(
        "%s QUARANTINED: %s; reason in %s\n%s", common["file_name"], summary, reason_path,
        readable_name("\n".join("  " + v.describe() for v in violations[:10])),
    )
    return FileOutcome(folder, common["file_name"], "quarantined", common["load_id"], rows, 0, summary, target,
                       violations=tuple(violations), violations_total=total)


def _not_regular(path: Path) -> str | None:
    """What the entry is when it is no regular file ('a symlink', 'a folder', …), judged
    without following it; None for a regular file."""
    mode = path.lstat().st_mode
    if stat.S_ISREG(mode):
        return None
    kinds = [(stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
             (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")]
    return next((kind for test, kind in kinds if test(mode)), "an unknown kind of entry")


def _refuse_unopened(con, paths: Paths, folder: str | None, path: Path, rule: str, message: str,
                     laps: Laps) -> FileOutcome:
    """Quarantine an entry without reading it (again): no hash, no size, nothing of its content."""
    common = dict(load_id=ledger.next_load_id(con), feed=folder if folder in FEEDS else None,
                  file_name=pii.redact(readable_name(path.name)), sha256=None, file_size=None)
    return _quarantine(con, paths, folder, path, common, None, [Violation(rule, message)], 1, None, laps)


def _refuse_unreadable(con, paths: Paths, folder: str | None, path: Path, error: Exception,
                       laps: Laps) -> FileOutcome:
    """Any other failure while handling one file: quarantined, naming the exception's class only
    (its message may quote the file)."""
    # a failed transaction was rolled back where it began (_insert, _commit_record)
    log.error("%s could not be handled (%s); quarantining it", pii.redact(readable_name(path.name)),
              type(error).__name__)
    return _refuse_unopened(con, paths, folder, path, "unreadable",
                            f"the file could not be read or checked ({type(error).__name__}); nothing was loaded",
                            laps)


def _reason_text(folder: str | None, common: dict, violations: list[Violation], total: int) -> str:
    listed = len(violations)
    by_rule: dict[str, int] = {}
    for v in violations:
        by_rule[v.rule] = by_rule.get(v.rule, 0) + 1
    lines = [
        "Leveransen har inte lästs in (satt i karantän) / Delivery refused (quarantined)",
        "",
        f"File:     {common['file_name']}",
        f"Feed:     {folder or '(none)'}",
        f"SHA-256:  {common['sha256'] or '(not read)'}",
        f"Load id:  {common['load_id']}",
        f"Refused:  {ledger.utc_now().isoformat(timespec='seconds')} UTC",
        f"Rules:    {', '.join(f'{r} ({n} listed)' for r, n in sorted(by_rule.items()))}",
        "",
        f"Violations (first {listed} of {total}; line 1 is the header):",
        *(f"  {v.describe()}" for v in violations),
        "",
        "Nothing from this file was loaded. Fix the file and deliver it again to the inbox.",
    ]
    return "\n".join(lines) + "\n"


def _commit_record(con, **values) -> None:
    with transaction(con):
        ledger.record(con, loaded_at=ledger.utc_now(), **values)


def _interrupted_before_move(latest: tuple, folder: str | None, name: str) -> bool:
    """Whether the latest ledger row of these bytes is this very file, committed by a run that
    died before moving it: same name (as the ledger stores it), same inbox folder, and nothing
    at its stored path yet. A refused file moved back by hand into another folder, or renamed,
    is a new delivery."""
    _, file_name, _, stored, *_ = latest
    return (file_name == name and bool(stored) and not Path(stored).exists()
            and _stored_folder(Path(stored)) == (folder or UNKNOWN_FEED_FOLDER))


def _stored_folder(stored: Path) -> str:
    """The inbox folder a file came from: archive/<folder>/… and quarantine/<folder>/… keep it."""
    return stored.parent.name


def _finish_interrupted(con, path: Path, load_id: int, laps: Laps) -> FileOutcome:
    feed, status, rows_in, rows_loaded, stored = con.execute(
        "SELECT feed, status, rows_in_file, rows_loaded, stored_path FROM raw.loads WHERE load_id = ?",
        [load_id],
    ).fetchone()
    _move(path, Path(stored))
    laps.lap("move")
    name = pii.redact(readable_name(path.name))
    # What this run did is the move only: the rows (if any) were written by the interrupted run.
    reason = (f"finished interrupted load {load_id}: it was committed as {status} ({rows_loaded} rows) before "
              f"the run stopped; this run only moved the file to {stored} and loaded nothing")
    log.warning("%s: %s", name, reason)
    return FileOutcome(feed, name, status, load_id, rows_in, 0, reason, Path(stored), recovered=True)


def archived_name(load_id: int, name: str) -> str:
    """An archived delivery's file name: the load id in front keeps every version apart."""
    return f"{load_id}__{stored_name(name)}"


def delivered_name(archived: Path) -> str:
    """The file name the agency delivered, from an archived file's name."""
    return archived.name.split("__", 1)[-1]


def _place(root: Path, folder: str | None, name: str) -> Path:
    """A free path for a handled file: root/<inbox folder>/name, checked to lie inside root."""
    return _free_path(inside(root, folder or UNKNOWN_FEED_FOLDER, name))


def _free_path(path: Path) -> Path:
    if not path.exists():
        return path
    n = 2
    while (candidate := path.with_name(f"{path.stem}.{n}{path.suffix}")).exists():
        n += 1
    return candidate


def _move(source: Path, target: Path) -> None:
    """Rename (a symlink stays a link, never its target); MoveFailed when the file must stay."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(source, target)
        except OSError as e:
            if e.errno != errno.EXDEV:
                raise
            shutil.move(str(source), str(target))  # another file system: copy, then remove
    except OSError as e:
        raise MoveFailed(f"{pii.redact(readable_name(source.name))}: recorded in the ledger but could not be moved to "
                         f"{target.parent} ({type(e).__name__}); left in the inbox, the next load moves it") from e


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
