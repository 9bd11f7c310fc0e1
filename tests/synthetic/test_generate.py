"""The synthetic deliveries: named and shaped as the contracts say, deterministic, linked, realistic."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import csv

import duckdb
import pytest
from typer.testing import CliRunner

from utfall.cli.main import app
from utfall.db.config import project_dir
from utfall.ingest.contracts import FEEDS, Column, Feed
from utfall.synthetic.generator import KOMMUNER, MAX_FORBUND, generate
from utfall.ingest.pii import contains, looks_like_identity_number

SMALL = dict(forbund=2, participants=300, from_year=2023, to_year=2024, seed=7)
# Enough people for shares to be stable, still a few seconds to write.
REALISTIC = dict(forbund=3, participants=1000, from_year=2021, to_year=2024, seed=11)
SUCCESS_REASONS = ("arbete", "arbete_subventionerat", "studier")


def _months(from_year: int, to_year: int) -> list[str]:
    return [f"{y}{m:02d}" for y in range(from_year, to_year + 1) for m in range(1, 13)]


def _forbund_ids(n: int) -> list[str]:
    return [f"sf{i:02d}" for i in range(1, n + 1)]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("small")
    return out, generate(out, **SMALL)


@pytest.fixture(scope="module")
def realistic(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    out = tmp_path_factory.mktemp("realistic")
    generate(out, **REALISTIC)
    return _connect(out)


def _connect(out: Path) -> duckdb.DuckDBPyConnection:
    """One view per feed over all its files, every value as text, plus the file name."""
    con = duckdb.connect()
    for feed in FEEDS.values():
        con.execute(
            f"CREATE VIEW {feed.name} AS SELECT * FROM read_csv('{out / feed.name}/*.csv', delim=';', "
            "header=true, all_varchar=true, filename=true)"
        )
    return con


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


# --------------------------------------------------------------------------- files


def test_every_feed_has_its_files_and_the_summary_counts_them(small: tuple[Path, dict]) -> None:
    out, summary = small
    assert list(summary) == list(FEEDS)
    stamp = f"{SMALL['to_year']}1231"
    for feed in FEEDS.values():
        names = {p.name for p in (out / feed.name).iterdir()}
        if feed.kind == "monthly":
            expected = {f"{feed.name}_{m}.csv" for m in _months(SMALL["from_year"], SMALL["to_year"])}
        else:
            expected = {f"{feed.name}_{f}_{stamp}.csv" for f in _forbund_ids(SMALL["forbund"])}
        assert names == expected, feed.name
        rows = sum(len((out / feed.name / n).read_text().splitlines()) - 1 for n in names)
        assert summary[feed.name] == {"files": len(expected), "rows": rows}


def test_headers_encoding_and_line_endings_are_as_agencies_deliver(small: tuple[Path, dict]) -> None:
    out, _ = small
    for feed in FEEDS.values():
        for path in (out / feed.name).iterdir():
            raw = path.read_bytes()
            assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw and b'"' not in raw, path.name
            header, *rows = raw.decode("utf-8").split("\n")
            assert header.split(";") == feed.column_names, path.name
            assert rows, f"{path.name} is empty"


# --------------------------------------------------------------------------- contract


def _typed(column: Column) -> str:
    """SQL turning the delivered text of a column into its storage type (NULL if unparseable)."""
    name = column.name
    if column.type == "month":
        return f"TRY_CAST({name} || '-01' AS DATE)"
    return f"TRY_CAST({name} AS {column.storage_type})"


_SHAPES = {
    "integer": r"-?[0-9]+",
    "amount": r"[0-9]+",  # whole SEK
    "decimal": r"-?[0-9]+(\.[0-9]+)?",
    "date": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    "month": r"[0-9]{4}-[0-9]{2}",
}


def _column_checks(column: Column) -> dict[str, str]:
    """Named SQL conditions that flag a row breaking the column's contract."""
    name, value = column.name, _typed(column)
    checks = {}
    if column.required:
        checks["required"] = f"{name} IS NULL"
    if column.type in _SHAPES:
        shape = _SHAPES[column.type]
        checks["shape"] = f"{name} IS NOT NULL AND (NOT regexp_full_match({name}, '{shape}') OR {value} IS NULL)"
    if column.codes:
        codes = ", ".join(f"'{c}'" for c in column.codes)
        checks["code"] = f"{name} IS NOT NULL AND {name} NOT IN ({codes})"
    if column.effective_pattern:
        checks["pattern"] = f"{name} IS NOT NULL AND NOT regexp_full_match({name}, '{column.effective_pattern}')"
    if column.minimum is not None:
        checks["minimum"] = f"TRY_CAST({name} AS DOUBLE) < {column.minimum}"
    if column.maximum is not None:
        checks["maximum"] = f"TRY_CAST({name} AS DOUBLE) > {column.maximum}"
    if column.latest == "file_date":
        extract_date = r"strptime(regexp_extract(filename, '_([0-9]{8})\.csv$', 1), '%Y%m%d')::DATE"
        checks["after_extract_date"] = f"{value} > {extract_date}"
    return {f"{name}.{check}": condition for check, condition in checks.items()}


def _violations(con: duckdb.DuckDBPyConnection, feed: Feed) -> dict[str, int]:
    checks = {k: v for column in feed.columns for k, v in _column_checks(column).items()}
    if feed.period_column:
        checks["period_differs_from_file"] = (
            f"replace({feed.period_column}, '-', '') <> regexp_extract(filename, '_([0-9]{{6}})\\.csv$', 1)"
        )
    if feed.forbund_column:
        checks["forbund_differs_from_file"] = (
            f"{feed.forbund_column} <> regexp_extract(filename, '_([^_]+)_[0-9]{{8}}\\.csv$', 1)"
        )
    counts = {name: f"count(*) FILTER (WHERE {condition})" for name, condition in checks.items()}
    typed = ", ".join(f"{_typed(c)} AS {c.name}" for c in feed.columns)
    for rule in feed.row_rules:
        counts[f"rule.{rule.name}"] = (
            f"(SELECT count(*) FROM (SELECT {typed} FROM {feed.name}) WHERE NOT coalesce(({rule.condition}), false))"
        )
    key = ", ".join(feed.key)
    # GROUP BY puts NULLs together: a missing key value counts as equal to another missing one.
    counts["duplicate_key"] = f"(SELECT count(*) FROM (SELECT {key} FROM {feed.name} GROUP BY ALL HAVING count(*) > 1))"
    values = con.execute(f"SELECT {', '.join(counts.values())} FROM {feed.name}").fetchone()
    return {name: n for name, n in zip(counts, values) if n}


@pytest.mark.parametrize("feed", list(FEEDS.values()), ids=list(FEEDS))
def test_every_value_meets_the_contract(small: tuple[Path, dict], feed: Feed) -> None:
    con = _connect(small[0])
    assert _scalar(con, f"SELECT count(*) FROM {feed.name}") > 0
    assert _violations(con, feed) == {}


def test_insats_ids_refer_to_the_forbunds_insatser(small: tuple[Path, dict]) -> None:
    con = _connect(small[0])
    for feed in ("deltagare", "insats_ar", "programtrohet"):
        unknown = _scalar(con, f"SELECT count(*) FROM {feed} WHERE insats_id NOT IN (SELECT insats_id FROM insatser)")
        assert unknown == 0, feed


def test_nothing_looks_like_a_personnummer(small: tuple[Path, dict]) -> None:
    out, _ = small
    for path in out.rglob("*.csv"):
        for line in path.read_text(encoding="utf-8").splitlines():
            for value in line.split(";"):
                assert not looks_like_identity_number(value), path.name
                # the loader's scan: any written form of a valid number anywhere in the value
                assert not contains(value), path.name
                assert not re.search(r"[0-9]{10}", value), f"{path.name}: ten digits in a row"


# --------------------------------------------------------------------------- determinism and linkage


def _digests(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.rglob("*.csv"))}


def test_same_seed_gives_identical_files_another_seed_does_not(small: tuple[Path, dict], tmp_path: Path) -> None:
    generate(tmp_path / "again", **{**SMALL, "progress": True})
    generate(tmp_path / "other", **{**SMALL, "seed": SMALL["seed"] + 1})
    first = _digests(small[0])
    assert _digests(tmp_path / "again") == first
    other = _digests(tmp_path / "other")
    assert other.keys() == first.keys()
    assert all(other[name] != first[name] for name in first if name.startswith(("deltagare/", "fk_utbetalningar/")))


def test_person_ids_link_a_person_across_feeds(small: tuple[Path, dict]) -> None:
    con = _connect(small[0])
    people = "(SELECT DISTINCT person_id FROM deltagare)"
    for feed in ("fk_utbetalningar", "skv_lon", "region_vard", "af_status"):
        found = _scalar(con, f"SELECT avg((person_id IN (SELECT person_id FROM {feed}))::INT) FROM {people}")
        assert found > 0.3, feed
    for feed in (f for f in FEEDS.values() if f.kind == "monthly"):
        strangers = _scalar(con, f"SELECT count(*) FROM {feed.name} WHERE person_id NOT IN {people}")
        assert strangers == 0, feed.name


# --------------------------------------------------------------------------- realism


def test_participants_look_like_the_target_group(realistic: duckdb.DuckDBPyConnection) -> None:
    con = realistic
    people = "(SELECT DISTINCT person_id, kon, fodelsear FROM deltagare)"
    assert 0.5 <= _scalar(con, f"SELECT avg((kon = 'K')::INT) FROM {people}") <= 0.7
    ages = (
        "(SELECT year(inskrivningsdatum::DATE) - fodelsear::INT AS age FROM deltagare"
        " WHERE inskrivningsdatum IS NOT NULL)"
    )
    assert _scalar(con, f"SELECT min(age) >= 18 AND max(age) <= 65 FROM {ages}")
    assert 25 <= _scalar(con, f"SELECT median(age) FROM {ages}") <= 35
    assert _scalar(con, "SELECT count(*) FROM deltagare WHERE utbildningsniva = 'okand'") > 0


def test_each_forbund_has_its_own_real_kommuner(realistic: duckdb.DuckDBPyConnection) -> None:
    rows = realistic.execute("SELECT DISTINCT forbund_id, hemkommun FROM deltagare").fetchall()
    assert {kommun for _, kommun in rows} <= set(KOMMUNER)
    per_forbund: dict[str, set[str]] = {}
    for forbund_id, kommun in rows:
        per_forbund.setdefault(forbund_id, set()).add(kommun)
    assert all(1 <= len(k) <= 4 for k in per_forbund.values())
    assert sum(len(k) for k in per_forbund.values()) == len({kommun for _, kommun in rows})


def test_queue_has_waiting_people_and_weeks_of_wait(realistic: duckdb.DuckDBPyConnection) -> None:
    con = realistic
    assert _scalar(con, "SELECT count(*) FROM deltagare WHERE status = 'vantar'") > 0
    assert _scalar(con, "SELECT count(*) FROM deltagare WHERE kodatum IS NULL") > 0
    wait = "datediff('day', kodatum::DATE, inskrivningsdatum::DATE)"
    assert 14 <= _scalar(con, f"SELECT median({wait}) FROM deltagare WHERE kodatum IS NOT NULL") <= 35
    assert _scalar(con, "SELECT count(*) FROM (SELECT person_id FROM deltagare GROUP BY 1 HAVING count(*) > 1)") > 0


def test_about_a_third_of_ended_reach_work_or_studies_and_it_shows(realistic: duckdb.DuckDBPyConnection) -> None:
    con = realistic
    success = f"avslutsorsak IN {SUCCESS_REASONS}"
    assert 0.25 <= _scalar(con, f"SELECT avg(({success})::INT) FROM deltagare WHERE status = 'avslutad'") <= 0.40
    last_month = f"{REALISTIC['to_year']}-12"
    after_exit = "manad > strftime(d.avslutsdatum::DATE, '%Y-%m')"
    shows = _scalar(con, f"""
        SELECT avg((EXISTS (SELECT 1 FROM skv_lon l WHERE l.person_id = d.person_id AND {after_exit})
                 OR EXISTS (SELECT 1 FROM csn_studiestod c WHERE c.person_id = d.person_id AND {after_exit}))::INT)
        FROM deltagare d
        WHERE {success} AND strftime(avslutsdatum::DATE, '%Y-%m') < '{last_month}'
    """)
    assert shows > 0.75


def test_most_had_fk_payments_before_entry(realistic: duckdb.DuckDBPyConnection) -> None:
    share = _scalar(realistic, f"""
        WITH entry AS (
            SELECT person_id, strftime(min(inskrivningsdatum::DATE) - INTERVAL 1 MONTH, '%Y-%m') AS month_before
            FROM deltagare WHERE inskrivningsdatum IS NOT NULL GROUP BY person_id
        )
        SELECT avg((EXISTS (SELECT 1 FROM fk_utbetalningar f
                            WHERE f.person_id = e.person_id AND f.manad = e.month_before))::INT)
        FROM entry e WHERE month_before >= '{REALISTIC['from_year']}-01'
    """)
    assert share > 0.5


def test_caseload_per_coach_is_in_the_ips_range(realistic: duckdb.DuckDBPyConnection) -> None:
    per_coach = realistic.execute(f"""
        WITH month_ends AS (
            SELECT (range + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE AS day
            FROM range(DATE '{REALISTIC['from_year']}-01-01', DATE '{REALISTIC['to_year'] + 1}-01-01', INTERVAL 1 MONTH)
        ),
        active AS (
            SELECT d.insats_id, year(m.day) AS ar, count(*) / 12.0 AS mean_active
            FROM deltagare d JOIN month_ends m
              ON d.inskrivningsdatum::DATE <= m.day AND (d.avslutsdatum IS NULL OR d.avslutsdatum::DATE > m.day)
            GROUP BY ALL
        )
        SELECT a.mean_active / i.arsarbetare_coach::DOUBLE
        FROM active a JOIN insats_ar i ON i.insats_id = a.insats_id AND i.ar::INT = a.ar
    """).fetchall()
    assert any(15 <= ratio <= 25 for (ratio,) in per_coach)


def test_fidelity_reviews_are_plausible(realistic: duckdb.DuckDBPyConnection) -> None:
    con = realistic
    assert 80 <= _scalar(con, "SELECT median(total_poang::INT) FROM programtrohet") <= 115
    assert _scalar(con, "SELECT count(*) FROM programtrohet WHERE i01 IS NULL") > 0
    assert _scalar(con, "SELECT count(*) FROM programtrohet WHERE i01 IS NOT NULL") > 0


def test_only_forbund_the_seed_names_are_generated(tmp_path):
    """seeds/forbund.csv names sf01–sf99, and a delivery from a förbund it lacks fails the gate:
    the generator makes no more (its ids would become sf001, …), and every id it makes is there."""
    with open(project_dir() / "seeds" / "forbund.csv", encoding="utf-8", newline="") as fh:
        named = [row["forbund_id"] for row in csv.DictReader(fh)]
    assert named == [f"sf{i:02d}" for i in range(1, MAX_FORBUND + 1)]
    with pytest.raises(ValueError, match="need 1–99 förbund"):
        generate(tmp_path / "too_many", **{**SMALL, "forbund": MAX_FORBUND + 1})
    result = CliRunner().invoke(app, ["generate", "--out", str(tmp_path / "cli"), "--forbund", "100"])
    assert result.exit_code == 2 and not (tmp_path / "cli").exists()


# --------------------------------------------------------------------------- register history


def test_register_history_writes_every_year_end_and_leaves_the_newest_as_it_was(small: tuple[Path, dict],
                                                                              tmp_path: Path) -> None:
    out, _ = small
    history = tmp_path / "history"
    summary = generate(history, **SMALL, register_history=True)
    years = range(SMALL["from_year"], SMALL["to_year"] + 1)
    names = {p.name for p in (history / "deltagare").iterdir()}
    assert names == {f"deltagare_{f}_{y}1231.csv" for f in _forbund_ids(SMALL["forbund"]) for y in years}
    assert summary["deltagare"]["files"] == len(names)
    for path in (out / "deltagare").iterdir():  # the newest snapshot: byte for byte the one without history
        assert (history / "deltagare" / path.name).read_bytes() == path.read_bytes(), path.name
    for feed in FEEDS.values():
        if feed.name != "deltagare":
            assert {p.name for p in (history / feed.name).iterdir()} == {p.name for p in (out / feed.name).iterdir()}

    con = _connect(history)
    con.execute("CREATE VIEW versions AS SELECT *, regexp_extract(filename, '_([0-9]{8})\\.csv$', 1) AS extract "
                "FROM deltagare")
    # a stay waiting at the first year's end and gone from the next register without a start
    [(leavers,)] = con.execute("""
        SELECT count(*) FROM versions v
        WHERE v.extract = ? AND v.status = 'vantar'
          AND NOT EXISTS (SELECT 1 FROM versions w WHERE w.extract = ? AND w.person_id = v.person_id
                          AND w.insats_id = v.insats_id AND w.kodatum = v.kodatum)
    """, [f"{SMALL['from_year']}1231", f"{SMALL['to_year']}1231"]).fetchall()
    assert leavers > 0
    # an earlier register knows nothing after its extract date, and holds both aktiv and passiv
    [(later, passive)] = con.execute("""
        SELECT count(*) FILTER (WHERE greatest(kodatum, inskrivningsdatum, avslutsdatum) > strptime(extract, '%Y%m%d')::DATE::VARCHAR),
               count(*) FILTER (WHERE status = 'passiv')
        FROM versions WHERE extract = ?
    """, [f"{SMALL['from_year']}1231"]).fetchall()
    assert later == 0 and passive > 0
