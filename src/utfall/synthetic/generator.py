"""Synthetic, pseudonymised deliveries of every feed, written as the agencies deliver them.

The files follow `utfall.ingest.contracts` exactly (`;`-separated UTF-8 CSV, one file per feed and
month, register snapshots per förbund), so the loader can be exercised end to end without
real personal data.

The model, in short (domain brief §3-5):

* **World**: förbund `sf01`, `sf02`, … each own 1-4 neighbouring kommuner (real SCB codes,
  `KOMMUNER`) and run 1-3 insatser, mostly IPS.
* **Participants**: ~60 % women, young-skewed ages, a hemkommun in their förbund. Each has a
  first episode starting anywhere in the window (most through a waiting list), lasting
  months to a couple of years; a few re-enter after dropping out.
* **Support**: most have been on public support for 1-8 years before entry: FK health
  benefits, aktivitetsstöd, ekonomiskt bistånd, boendestöd, psychiatric care.
* **Outcome**: about a third of ended episodes end in work (some subsidised) or studies, often
  found while still in the insats. Support stops or drops while people work or study; some
  relapse. Others may find work later. The reported exit reason matches what happened, mostly.
* **Deliveries**: every person-level attribute lives in a numpy array; each month's rows are
  derived vectorised from them (randomness seeded by seed, purpose and month), written, and
  dropped, so memory does not grow with the number of months.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from rich.progress import Progress

from utfall.ingest.contracts import FEEDS, Feed
from utfall.ingest.reference import load_kommuner

# SCB kommun codes and names, from the reference seed (one definition, also used by dbt).
KOMMUNER: dict[str, str] = load_kommuner()

# The first förbund are centred on these larger towns, so small runs look familiar.
_ANCHOR_KOMMUNER = (
    "0180", "1480", "1280", "0380", "1980", "1880", "0580", "2480", "2580", "2180", "0680", "1283",
    "0780", "1780", "0484", "0581", "1281", "2281", "2380", "0880", "1490", "2080", "1080", "1380",
)

# seeds/forbund.csv names sf01–sf99: a delivery from a förbund it lacks fails the gate
MAX_FORBUND = 99
NEVER = 10**7  # a month number later than any real one: "has not happened"



def _codes(feed: str, column: str) -> tuple[str, ...]:
    """A code list as the feed's contract defines it (one definition; the generator's order is the contract's)."""
    return FEEDS[feed].column(column).codes


METHODS = _codes("insatser", "metod")
# Every reason but felregistrering: a synthetic register holds no registration errors.
EXIT_REASONS = tuple(r for r in _codes("deltagare", "avslutsorsak") if r != "felregistrering")
REASON = {name: i for i, name in enumerate(EXIT_REASONS)}
_SUCCESS = (REASON["arbete"], REASON["arbete_subventionerat"], REASON["studier"])
# Share of ended episodes ending in (work, subsidised work, studies) per method: IPS does best.
_SUCCESS_BY_METHOD = {
    "IPS": (0.22, 0.06, 0.08),
    "IPS_LITE": (0.18, 0.05, 0.06),
    "SE": (0.18, 0.06, 0.06),
    "SED": (0.08, 0.03, 0.17),
    "ANNAN": (0.12, 0.05, 0.07),
}
# How the remaining ended episodes split (scaled to what success leaves).
_OTHER_REASONS = {
    "arbetssokande": 0.18, "sjukskrivning": 0.22, "annan_insats": 0.17, "flyttat": 0.07,
    "avbrutit": 0.22, "avliden": 0.015, "ovrigt": 0.125,
}
# Median and maximum episode length in months: IPS has no time limit, IPS Lite is 9 + 4 months.
_DURATION_BY_METHOD = {"IPS": (11, 30), "IPS_LITE": (8, 13), "SE": (10, 30), "SED": (9, 24), "ANNAN": (6, 18)}
# Chance of finding work / studies within two years after an exit for another reason.
_LATE_WORK = {"arbetssokande": 0.25, "sjukskrivning": 0.05, "annan_insats": 0.15, "flyttat": 0.15,
              "avbrutit": 0.10, "ovrigt": 0.10}
_LATE_STUDY = {"arbetssokande": 0.05, "annan_insats": 0.05, "ovrigt": 0.05}

FK_CODES = _codes("fk_utbetalningar", "formankod")
BENEFIT = {code: i for i, code in enumerate(FK_CODES)}
OMFATTNING = np.array([int(v) for v in _codes("fk_utbetalningar", "omfattning")])
# Statutory-like daily amounts for the flat-rate labour-market benefits.
_UTV_DAILY, _ETB_DAILY = 160, 308
_SUBSIDY_TYPES = _codes("af_status", "lonestod_typ")
_SECTORS = _codes("skv_lon", "arbetsgivare_sektor")
_STUDY_FORMS = _codes("csn_studiestod", "studieform")
_EDUCATION = _codes("deltagare", "utbildningsniva")
_AF_PROGRAMMES = ("Jobb- och utvecklingsgarantin", "Förberedande insatser", "Arbetspraktik",
                  "Arbetsmarknadsutbildning")
# AF's sökandekategori codes: open job seekers, programme participants, employed with lönebidrag.
_AF_SEEKER, _AF_PROGRAMME, _AF_LONEBIDRAG = "11", "70", "68"
_HINDER = ("arbetslös", "sjukskriven med läkarintyg", "ohälsa utan läkarintyg", "sociala skäl",
           "otillräcklig inkomst")
_ANNAN_NAMES = ("Steget vidare", "Vägen till arbete", "Framtidsverkstan", "Kompassen", "Motivationslyftet")
_METHOD_LABELS = {"IPS": "IPS", "IPS_LITE": "IPS Lite", "SE": "Supported Employment", "SED": "SEd studiecoach"}
_OWNERS = ("Kommunens arbetsmarknadsenhet", "Regionens psykiatri", "Förbundet i egen regi",
           "Kommunen och regionen i samverkan")
_TARGET_GROUPS = ("Personer med psykisk ohälsa", "Unga vuxna 19-29 år med psykisk ohälsa",
                  "Personer långt från arbetsmarknaden", "Personer med försörjningsstöd")
_INDEX_BASE_YEAR = 2020  # amounts grow ~2 %/year from this year's level

_DIGIT_RUN = re.compile(r"[0-9]{10}")


# --------------------------------------------------------------------------- time


@dataclass(frozen=True)
class Window:
    from_year: int
    to_year: int

    @property
    def first_month(self) -> int:
        return self.from_year * 12

    @property
    def last_month(self) -> int:
        return self.to_year * 12 + 11

    @property
    def months(self) -> range:
        return range(self.first_month, self.last_month + 1)

    @property
    def start(self) -> np.datetime64:
        return np.datetime64(f"{self.from_year}-01-01", "D")

    @property
    def extract(self) -> np.datetime64:
        """The register snapshots' extract date: the last day of data."""
        return np.datetime64(f"{self.to_year}-12-31", "D")


def _month_label(t: int) -> str:
    return f"{t // 12:04d}-{t % 12 + 1:02d}"


def _month_start(t: int) -> np.datetime64:
    return np.datetime64(_month_label(t), "M").astype("datetime64[D]")


def _month_of(dates: np.ndarray) -> np.ndarray:
    """Month number (year * 12 + month - 1) of each date; NEVER where missing."""
    m = dates.astype("datetime64[M]").astype(np.int64) + 1970 * 12
    return np.where(np.isnat(dates), NEVER, m)


def _date_strings(dates: np.ndarray) -> np.ndarray:
    s = np.datetime_as_string(dates, unit="D").astype(object)
    s[np.isnat(dates)] = None
    return s


def _days(n: np.ndarray) -> np.ndarray:
    return np.asarray(n, dtype=np.int64).astype("timedelta64[D]")


# --------------------------------------------------------------------------- randomness


def _rng(seed: int, purpose: str, *parts: int) -> np.random.Generator:
    """A generator for one purpose (and month): results never depend on what ran before."""
    return np.random.default_rng([seed % 2**63, zlib.crc32(purpose.encode()), *parts])


def _pick(rng: np.random.Generator, p: list[float] | tuple[float, ...], n: int) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())


def _lognormal_months(rng: np.random.Generator, n: int, median: float | np.ndarray, sigma: float, lo: float,
                      hi: float | np.ndarray) -> np.ndarray:
    return np.clip(np.exp(rng.normal(np.log(median), sigma, n)), lo, hi)


def _sek(x: np.ndarray) -> np.ndarray:
    return np.rint(x).astype(np.int64)


def _index(year: int) -> float:
    return 1.02 ** (year - _INDEX_BASE_YEAR)


def person_ids(seed: int, n: int) -> np.ndarray:
    """Pseudonyms as agencies deliver them: 64 lowercase hex characters.

    A digest holding a run of ten digits is re-drawn, so no value anywhere can be mistaken for
    a personnummer, not even by a scan for numbers inside text.
    """
    ids = np.empty(n, dtype=object)
    for i in range(n):
        digest = hashlib.sha256(f"utfall-synthetic:{seed}:{i}".encode()).hexdigest()
        salt = 0
        while _DIGIT_RUN.search(digest):
            salt += 1
            digest = hashlib.sha256(f"utfall-synthetic:{seed}:{i}:{salt}".encode()).hexdigest()
        ids[i] = digest
    return ids


# --------------------------------------------------------------------------- world


@dataclass(frozen=True)
class Insats:
    id: str
    forbund: int
    metod: str
    namn: str
    agare: str
    start: np.datetime64
    malgrupp: str


@dataclass(frozen=True)
class World:
    forbund_ids: list[str]
    kommuner: list[tuple[str, ...]]  # per förbund, the anchor town first
    kommun_weights: list[np.ndarray]  # per förbund: how participants spread over its kommuner
    insatser: list[Insats]


def _assign_kommuner(n_forbund: int, rng: np.random.Generator) -> list[tuple[str, ...]]:
    """Each förbund gets a town and up to three neighbours in the same län, none shared."""
    codes = sorted(KOMMUNER)
    free: list[str] = []
    result = []
    for _ in range(n_forbund):
        if not free:  # more förbund than kommuner: start sharing
            free = list(codes)
        anchor = next((a for a in _ANCHOR_KOMMUNER if a in free), free[0])
        size = int(_pick(rng, [0.3, 0.3, 0.25, 0.15], 1)[0]) + 1
        neighbours = sorted((c for c in free if c[:2] == anchor[:2] and c != anchor),
                            key=lambda c: abs(int(c) - int(anchor)))
        members = (anchor, *neighbours[: size - 1])
        free = [c for c in free if c not in members]
        result.append(members)
    return result


def _insats_name(metod: str, town: str, rng: np.random.Generator) -> str:
    if metod == "ANNAN":
        return f"{_ANNAN_NAMES[rng.integers(len(_ANNAN_NAMES))]} {town}"
    return f"{_METHOD_LABELS[metod]} {town}"


def _build_world(seed: int, n_forbund: int, window: Window) -> World:
    rng = _rng(seed, "world")
    width = max(2, len(str(n_forbund)))
    forbund_ids = [f"sf{i + 1:0{width}d}" for i in range(n_forbund)]
    kommuner = _assign_kommuner(n_forbund, rng)
    weights = [np.concatenate([[1.0], rng.uniform(0.15, 0.6, len(k) - 1)]) for k in kommuner]
    window_days = int((window.extract - window.start).astype(int))
    insatser = []
    for f, fid in enumerate(forbund_ids):
        n_insatser = int(_pick(rng, [0.35, 0.45, 0.2], 1)[0]) + 1
        per_method: dict[str, int] = {}
        names: set[str] = set()
        for k in range(n_insatser):
            # Every förbund runs an IPS insats that predates the window; the rest vary.
            metod = "IPS" if k == 0 else METHODS[int(_pick(rng, [0.3, 0.2, 0.2, 0.1, 0.2], 1)[0])]
            if k == 0 or rng.random() < 0.65:
                start = window.start - np.timedelta64(int(rng.integers(180, 6 * 365)), "D")
            else:
                start = window.start + np.timedelta64(int(rng.integers(0, max(1, window_days - 365))), "D")
            per_method[metod] = per_method.get(metod, 0) + 1
            town = KOMMUNER[kommuner[f][k % len(kommuner[f])]]
            name = _insats_name(metod, town, rng)
            if name in names:
                name = f"{name} {per_method[metod]}"
            names.add(name)
            insatser.append(Insats(
                id=f"{fid}-{metod.lower().replace('_', '')}{per_method[metod]}",
                forbund=f,
                metod=metod,
                namn=name,
                agare=_OWNERS[rng.integers(len(_OWNERS))],
                start=start,
                malgrupp=_TARGET_GROUPS[rng.integers(len(_TARGET_GROUPS))],
            ))
    return World(forbund_ids, kommuner, weights, insatser)


# --------------------------------------------------------------------------- participants


@dataclass
class Population:
    ids: np.ndarray
    forbund: np.ndarray
    kommun: np.ndarray
    female: np.ndarray
    birth_year: np.ndarray
    education: np.ndarray


@dataclass
class Episodes:
    """Latent episodes (dates as they will happen, not yet cut at the extract date)."""

    person: np.ndarray
    insats: np.ndarray
    kodatum: np.ndarray
    entry: np.ndarray
    exit: np.ndarray
    reason: np.ndarray
    # Per person: the first and (re-entrants) second episode as month numbers.
    first_entry_m: np.ndarray
    first_exit_m: np.ndarray
    second_entry_m: np.ndarray
    second_exit_m: np.ndarray
    last_exit_m: np.ndarray
    last_entry_m: np.ndarray
    last_reason: np.ndarray


def _allocate(seed: int, n: int, world: World, window: Window) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Förbund, insats and hemkommun per person; insatser starting late get fewer people."""
    rng = _rng(seed, "allocation")
    n_forbund = len(world.forbund_ids)
    sizes = rng.lognormal(0.0, 0.6, n_forbund)
    forbund = _pick(rng, sizes, n)
    forbund[: min(n, n_forbund)] = np.arange(min(n, n_forbund))  # nobody's register is empty
    insats = np.zeros(n, dtype=np.int64)
    kommun = np.empty(n, dtype=object)
    window_days = float((window.extract - window.start).astype(int))
    for f in range(n_forbund):
        members = np.flatnonzero(forbund == f)
        own = [i for i, ins in enumerate(world.insatser) if ins.forbund == f]
        running = [float((window.extract - max(world.insatser[i].start, window.start)).astype(int)) / window_days
                   for i in own]
        base = [1.0 if world.insatser[i].metod == "IPS" else 0.6 for i in own]
        insats[members] = np.asarray(own)[_pick(rng, np.multiply(base, running), len(members))]
        codes = np.asarray(world.kommuner[f], dtype=object)
        kommun[members] = codes[_pick(rng, world.kommun_weights[f], len(members))]
    return forbund, insats, kommun


def _waits(rng: np.random.Generator, n: int) -> np.ndarray:
    """Days on the waiting list: median about three weeks, at most four months."""
    return np.rint(np.clip(rng.lognormal(np.log(21), 0.75, n), 0, 120)).astype(np.int64)


def _durations(rng: np.random.Generator, methods: np.ndarray) -> np.ndarray:
    median = np.array([_DURATION_BY_METHOD[m][0] for m in METHODS])[methods]
    longest = np.array([_DURATION_BY_METHOD[m][1] for m in METHODS])[methods]
    months = _lognormal_months(rng, len(methods), median, 0.65, 1.0, longest)
    return np.rint(months * 30.44).astype(np.int64)


def _reason_table() -> np.ndarray:
    """Cumulative exit-reason probabilities, one row per method."""
    rows = []
    for metod in METHODS:
        work, subsidised, studies = _SUCCESS_BY_METHOD[metod]
        rest = 1.0 - work - subsidised - studies
        other_total = sum(_OTHER_REASONS.values())
        p = np.zeros(len(EXIT_REASONS))
        p[list(_SUCCESS)] = work, subsidised, studies
        for name, share in _OTHER_REASONS.items():
            p[REASON[name]] = rest * share / other_total
        rows.append(np.cumsum(p))
    return np.array(rows)


def _reasons(rng: np.random.Generator, methods: np.ndarray) -> np.ndarray:
    cumulative = _reason_table()[methods]
    u = rng.random(len(methods))[:, None]
    return np.minimum((u > cumulative).sum(axis=1), len(EXIT_REASONS) - 1)


def _dropout_reasons(rng: np.random.Generator, n: int) -> np.ndarray:
    """Why people who later come back left the first time."""
    names = ("avbrutit", "sjukskrivning", "arbetssokande", "annan_insats", "ovrigt")
    return np.array([REASON[x] for x in names])[_pick(rng, [0.35, 0.3, 0.15, 0.1, 0.1], n)]


def _build_episodes(seed: int, insats: np.ndarray, world: World, window: Window) -> Episodes:
    rng = _rng(seed, "episodes")
    n = len(insats)
    method_of = np.array([METHODS.index(i.metod) for i in world.insatser])
    start_of = np.array([i.start for i in world.insatser], dtype="datetime64[D]")
    forbund_of = np.array([i.forbund for i in world.insatser])

    # First episode: entries spread evenly over the window (or from the insats' start).
    earliest = np.maximum(start_of[insats], window.start)
    span = (window.extract - earliest).astype(np.int64) + 1
    first_date = earliest + _days(rng.random(n) * span)
    queued = rng.random(n) < 0.88
    kodatum1 = np.where(queued, first_date, np.datetime64("NaT", "D"))
    entry1 = first_date + _days(np.where(queued, _waits(rng, n), 0))
    reentrant = rng.random(n) < 0.07
    exit1 = entry1 + _days(np.where(reentrant, rng.integers(30, 8 * 30 + 1, n), _durations(rng, method_of[insats])))
    reason1 = np.where(reentrant, _dropout_reasons(rng, n), _reasons(rng, method_of[insats]))

    # Re-entry, through the queue again, mostly into the same insats.
    other = _other_insats(rng, insats, forbund_of)
    kodatum2 = exit1 + _days(rng.integers(60, 541, n))
    insats2 = np.where((rng.random(n) < 0.3) & (start_of[other] <= kodatum2), other, insats)
    entry2 = kodatum2 + _days(_waits(rng, n))
    exit2 = entry2 + _days(_durations(rng, method_of[insats2]))
    reason2 = _reasons(rng, method_of[insats2])

    again = np.flatnonzero(reentrant)
    never = np.full(n, NEVER)
    return Episodes(
        person=np.concatenate([np.arange(n), again]),
        insats=np.concatenate([insats, insats2[again]]),
        kodatum=np.concatenate([kodatum1, kodatum2[again]]),
        entry=np.concatenate([entry1, entry2[again]]),
        exit=np.concatenate([exit1, exit2[again]]),
        reason=np.concatenate([reason1, reason2[again]]),
        first_entry_m=_month_of(entry1),
        first_exit_m=_month_of(exit1),
        second_entry_m=np.where(reentrant, _month_of(entry2), never),
        second_exit_m=np.where(reentrant, _month_of(exit2), never),
        last_entry_m=np.where(reentrant, _month_of(entry2), _month_of(entry1)),
        last_exit_m=np.where(reentrant, _month_of(exit2), _month_of(exit1)),
        last_reason=np.where(reentrant, reason2, reason1),
    )


def _other_insats(rng: np.random.Generator, insats: np.ndarray, forbund_of: np.ndarray) -> np.ndarray:
    """A random insats of the same förbund (possibly the same one)."""
    other = insats.copy()
    u = rng.random(len(insats))
    for f in np.unique(forbund_of[insats]):
        own = np.flatnonzero(forbund_of == f)
        members = np.flatnonzero(forbund_of[insats] == f)
        other[members] = own[(u[members] * len(own)).astype(np.int64)]
    return other


def _build_population(seed: int, forbund: np.ndarray, kommun: np.ndarray, first_date_year: np.ndarray) -> Population:
    rng = _rng(seed, "population")
    n = len(forbund)
    # Ages at start skew young: many 20-35, a thin tail up to 64.
    age = np.rint(18 + rng.gamma(1.8, 8.0, n)).astype(np.int64)
    age = np.where(age > 64, rng.integers(18, 65, n), age)
    education = np.asarray(_EDUCATION + (None,), dtype=object)[
        _pick(rng, [0.25, 0.42, 0.10, 0.14, 0.07, 0.02], n)
    ]
    return Population(
        ids=person_ids(seed, n),
        forbund=forbund,
        kommun=kommun,
        female=rng.random(n) < 0.6,
        birth_year=first_date_year - age,
        education=education,
    )


# --------------------------------------------------------------------------- support and outcomes


@dataclass
class Support:
    start: np.ndarray  # month public support began (1-8 years before entry for most)
    health: np.ndarray  # FK health benefit code index, -1 for none
    health_start: np.ndarray
    health_omf: np.ndarray
    health_omf_working: np.ndarray  # reduced extent kept while working, or 0 when it stops
    health_daily: np.ndarray
    rhp_in_episode: np.ndarray  # sjukpenning turns into rehabiliteringspenning during the insats
    labour: np.ndarray  # receives aktivitetsstöd (or UTV / ETB)
    labour_omf: np.ndarray
    labour_daily: np.ndarray
    newly_arrived: np.ndarray  # etableringsersättning for the first two years
    fk_tax: np.ndarray
    af_registered_from: np.ndarray  # registered as job seeker without a programme, from month
    programme: np.ndarray
    bistand_start: np.ndarray
    bistand: np.ndarray  # monthly base amount (0: never)
    hinder: np.ndarray
    boende_start: np.ndarray
    boende_hours: np.ndarray  # monthly base hours (0: none)
    care_rate: np.ndarray  # expected outpatient visits per month (0: no psychiatric care)
    side_income: np.ndarray  # chance of a small salary in a month without work


@dataclass
class Outcome:
    work_start: np.ndarray
    work_end: np.ndarray
    subsidy: np.ndarray  # index into _SUBSIDY_TYPES, -1 for unsubsidised work
    subsidy_sek: np.ndarray
    salary: np.ndarray
    sector: np.ndarray
    salary_tax: np.ndarray
    study_start: np.ndarray
    study_end: np.ndarray
    prior_study_start: np.ndarray  # a study spell before the insats, for some
    prior_study_end: np.ndarray
    study_form: np.ndarray
    grant: np.ndarray
    loan: np.ndarray  # 0: no loan
    death_m: np.ndarray
    moved_m: np.ndarray

    @property
    def first_start(self) -> np.ndarray:
        return np.minimum(self.work_start, self.study_start)


def _health_benefits(rng: np.random.Generator, n: int, young: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """FK health benefit and extent: aktivitetsersättning under 30, sjukersättning from 30."""
    young_code = np.array([BENEFIT["AKE"], BENEFIT["SJP"], BENEFIT["RHP"]])[_pick(rng, [0.45, 0.45, 0.10], n)]
    old_code = np.array([BENEFIT["SJP"], BENEFIT["SJE"], BENEFIT["RHP"]])[_pick(rng, [0.5, 0.3, 0.2], n)]
    code = np.where(young, young_code, old_code)
    sick_omf = OMFATTNING[_pick(rng, [0.15, 0.3, 0.15, 0.4], n)]
    rehab_omf = OMFATTNING[_pick(rng, [0.1, 0.2, 0.1, 0.6], n)]
    lasting_omf = OMFATTNING[_pick(rng, [0.05, 0.2, 0.1, 0.65], n)]
    omf = np.select([code == BENEFIT["SJP"], code == BENEFIT["RHP"]], [sick_omf, rehab_omf], lasting_omf)
    return code, omf


def _build_support(seed: int, pop: Population, ep: Episodes) -> Support:
    rng = _rng(seed, "support")
    n = len(pop.ids)
    entry_m = ep.first_entry_m
    lead = np.where(rng.random(n) < 0.85, rng.integers(12, 97, n), rng.integers(0, 12, n))
    adult_m = (pop.birth_year + 18) * 12 + 6
    start = np.minimum(np.maximum(entry_m - lead, adult_m), entry_m)
    age_at_entry = entry_m // 12 - pop.birth_year

    has_health = rng.random(n) < (0.63 + 0.004 * (age_at_entry - 18))
    code, omf = _health_benefits(rng, n, age_at_entry < 30)
    # Exits to sick leave mean FK pays sjukpenning afterwards, whatever came before.
    sick_exit = (ep.last_reason == REASON["sjukskrivning"]) & ~has_health
    code = np.where(sick_exit, BENEFIT["SJP"], code)
    health_start = np.where(sick_exit, ep.last_exit_m, start)
    has_health |= sick_exit
    # While working or studying, some keep a part benefit (e.g. partial sjukersättning); the rest stop.
    keeps_part = rng.random(n) < 0.4
    omf_working = np.where(keeps_part, np.maximum(25, omf - 50), 0)

    # Aktivitetsstöd for most without a health benefit, and beside a part-time one for some.
    labour = (~has_health & (rng.random(n) < 0.72)) | (has_health & (omf <= 50) & (rng.random(n) < 0.25))
    labour_omf = np.where(has_health, 100 - omf, OMFATTNING[_pick(rng, [0.03, 0.12, 0.05, 0.8], n)])

    bistand_p = np.where(has_health, 0.14, 0.30)
    on_bistand = rng.random(n) < bistand_p
    bistand_start = np.minimum(start + rng.integers(0, 13, n), np.maximum(start, entry_m - 1))
    # Some with no success turn to social assistance after leaving.
    late_bistand = ~on_bistand & ~np.isin(ep.last_reason, _SUCCESS) & (rng.random(n) < 0.12)
    bistand_start = np.where(late_bistand, ep.last_exit_m + rng.integers(1, 7, n), bistand_start)
    on_bistand |= late_bistand
    hinder = np.asarray(_HINDER + (None,), dtype=object)[
        np.where(has_health, _pick(rng, [0.1, 0.5, 0.3, 0.05, 0.0, 0.05], n),
                 _pick(rng, [0.55, 0.05, 0.1, 0.1, 0.15, 0.05], n))
    ]
    on_boende = rng.random(n) < np.where(has_health, 0.18, 0.09)
    has_care = rng.random(n) < np.where(has_health, 0.75, 0.5)
    af_from = np.where(has_health & (rng.random(n) < 0.2), start, NEVER)
    af_from = np.where(ep.last_reason == REASON["arbetssokande"], np.minimum(af_from, ep.last_exit_m + 1), af_from)

    return Support(
        start=start,
        health=np.where(has_health, code, -1),
        health_start=health_start,
        health_omf=omf,
        health_omf_working=omf_working,
        # Sick pay follows earlier income; the lasting benefits are often at the guarantee level.
        health_daily=np.where(np.isin(code, [BENEFIT["SJP"], BENEFIT["RHP"]]),
                              rng.uniform(300, 900, n), rng.uniform(300, 600, n)),
        rhp_in_episode=(code == BENEFIT["SJP"]) & (rng.random(n) < 0.25),
        labour=labour,
        labour_omf=labour_omf,
        labour_daily=rng.uniform(320, 910, n),
        newly_arrived=labour & (rng.random(n) < 0.06),
        fk_tax=rng.uniform(0.25, 0.32, n),
        af_registered_from=af_from,
        programme=np.asarray(_AF_PROGRAMMES, dtype=object)[_pick(rng, [0.4, 0.3, 0.2, 0.1], n)],
        bistand_start=bistand_start,
        bistand=np.where(on_bistand, rng.uniform(4000, 12000, n), 0.0),
        hinder=hinder,
        boende_start=np.minimum(start + rng.integers(0, 25, n), np.maximum(start, entry_m - 1)),
        boende_hours=np.where(on_boende, rng.uniform(5, 40, n), 0.0),
        care_rate=np.where(has_care, rng.gamma(2.0, 0.6, n), 0.0),
        side_income=np.where(rng.random(n) < 0.15, 0.3, 0.0),
    )


def _build_outcome(seed: int, ep: Episodes, birth_year: np.ndarray) -> Outcome:
    rng = _rng(seed, "outcome")
    n = len(ep.last_reason)
    reason, entry, exit_ = ep.last_reason, ep.last_entry_m, ep.last_exit_m
    reported_right = rng.random(n) < 0.95  # a few reported jobs or studies never show in registers
    # Jobs are usually found while still in the insats (place then train), studies around exit.
    found_before_exit = _pick(rng, [0.25, 0.2, 0.17, 0.13, 0.1, 0.08, 0.07], n)
    work_at_exit = np.isin(reason, [REASON["arbete"], REASON["arbete_subventionerat"]]) & reported_right
    study_at_exit = (reason == REASON["studier"]) & reported_right

    u = rng.random(n)
    late_work_p = np.zeros(n)
    late_study_p = np.zeros(n)
    for name, p in _LATE_WORK.items():
        late_work_p[reason == REASON[name]] = p
    for name, p in _LATE_STUDY.items():
        late_study_p[reason == REASON[name]] = p
    late_work = u < late_work_p
    late_study = ~late_work & (u < late_work_p + late_study_p)

    study_start = np.where(study_at_exit, np.maximum(entry, exit_ - rng.integers(-1, 3, n)), NEVER)
    study_start = np.where(late_study, exit_ + rng.integers(1, 13, n), study_start)
    study_months = np.rint(_lognormal_months(rng, n, 10, 0.5, 4, 40)).astype(np.int64)
    studying = study_start < NEVER
    study_end = np.where(studying, study_start + study_months, NEVER)
    work_after_study = studying & (rng.random(n) < 0.4)

    work_start = np.where(work_at_exit, np.maximum(entry, exit_ - found_before_exit), NEVER)
    work_start = np.where(late_work, exit_ + rng.integers(2, 25, n), work_start)
    work_start = np.where(work_after_study, study_end, work_start)
    relapse = rng.random(n) < 0.25
    job_months = np.rint(_lognormal_months(rng, n, 12, 0.7, 3, 120)).astype(np.int64)
    working = work_start < NEVER
    work_end = np.where(working & relapse, work_start + job_months, NEVER)

    subsidised = working & ((reason == REASON["arbete_subventionerat"]) | (~work_at_exit & (rng.random(n) < 0.2)))
    subsidy = np.where(subsidised, _pick(rng, [0.55, 0.35, 0.05, 0.05], n), -1)
    sector = np.where(subsidised, _pick(rng, [0.35, 0.35, 0.05, 0.0, 0.25], n),
                      _pick(rng, [0.72, 0.13, 0.05, 0.03, 0.07], n))

    prior_start = ep.first_entry_m - rng.integers(4, 40, n)
    prior = (rng.random(n) < 0.06) & (prior_start >= (birth_year + 20) * 12)  # studiemedel from 20
    prior_end = np.minimum(prior_start + rng.integers(3, 13, n), ep.first_entry_m - 1)

    return Outcome(
        work_start=work_start,
        work_end=work_end,
        subsidy=subsidy,
        subsidy_sek=rng.uniform(5000, 15000, n),
        salary=rng.uniform(8000, 30000, n),
        sector=sector,
        salary_tax=rng.uniform(0.25, 0.30, n),
        study_start=study_start,
        study_end=study_end,
        prior_study_start=np.where(prior, prior_start, NEVER),
        prior_study_end=np.where(prior, prior_end, NEVER),
        study_form=_pick(rng, [0.45, 0.3, 0.15, 0.03, 0.07], n),
        grant=rng.uniform(3000, 4000, n),
        loan=np.where(rng.random(n) < 0.45, rng.uniform(4000, 9000, n), 0.0),
        death_m=np.where(reason == REASON["avliden"], exit_, NEVER),
        moved_m=np.where(reason == REASON["flyttat"], exit_, NEVER),
    )


@dataclass
class Model:
    seed: int
    window: Window
    world: World
    pop: Population
    ep: Episodes
    support: Support
    outcome: Outcome


def build_model(seed: int, n_forbund: int, participants: int, window: Window) -> Model:
    world = _build_world(seed, n_forbund, window)
    forbund, insats, kommun = _allocate(seed, participants, world, window)
    ep = _build_episodes(seed, insats, world, window)
    first_date = np.where(np.isnat(ep.kodatum[:participants]), ep.entry[:participants], ep.kodatum[:participants])
    pop = _build_population(seed, forbund, kommun, _month_of(first_date) // 12)
    return Model(seed, window, world, pop, ep, _build_support(seed, pop, ep), _build_outcome(seed, ep, pop.birth_year))


# --------------------------------------------------------------------------- one month


@dataclass
class Month:
    """Everyone's situation in month t; every feed's rows follow from it."""

    t: int
    year: int
    days: int
    weekdays: int
    alive: np.ndarray
    resident: np.ndarray  # still living in the förbund's region
    age: np.ndarray
    in_episode: np.ndarray
    working: np.ndarray
    any_studies: np.ndarray  # studies after the insats, or an earlier spell
    occupied: np.ndarray  # working or studying after the insats: support stops or drops
    leaving_support: np.ndarray  # the month work or studies begin: support paid part of it
    health: np.ndarray
    labour: np.ndarray


def _month_state(m: Model, t: int) -> Month:
    s, o, ep = m.support, m.outcome, m.ep
    first_day, next_first = _month_start(t), _month_start(t + 1)
    alive = t <= o.death_m
    working = (o.work_start <= t) & (t < o.work_end) & alive
    studying = (o.study_start <= t) & (t < o.study_end) & alive
    occupied = working | studying
    leaving = occupied & (t == o.first_start)
    stopped = occupied & ~leaving
    return Month(
        t=t,
        year=t // 12,
        days=int((next_first - first_day).astype(int)),
        weekdays=int(np.busday_count(first_day, next_first)),
        alive=alive,
        resident=t <= o.moved_m,
        age=t // 12 - m.pop.birth_year,
        in_episode=((ep.first_entry_m <= t) & (t <= ep.first_exit_m))
        | ((ep.second_entry_m <= t) & (t <= ep.second_exit_m)),
        working=working,
        any_studies=studying | ((o.prior_study_start <= t) & (t < o.prior_study_end) & alive),
        occupied=occupied,
        leaving_support=leaving,
        health=(s.health >= 0) & (t >= s.health_start) & alive & ~(stopped & (s.health_omf_working == 0)),
        labour=s.labour & (t >= s.start) & alive & ~stopped,
    )


def _paid_days(rng: np.random.Generator, full: int, partial: np.ndarray) -> np.ndarray:
    """Whole month, or part of it in the month a benefit starts or stops."""
    return np.where(partial, rng.integers(1, full + 1, len(partial)), full)


def _fk_month(m: Model, mo: Month, rng: np.random.Generator) -> pd.DataFrame:
    s, o = m.support, m.outcome
    idx = np.flatnonzero(mo.health)
    code = s.health[idx]
    code = np.where((code == BENEFIT["AKE"]) & (mo.age[idx] >= 30), BENEFIT["SJE"], code)
    code = np.where(s.rhp_in_episode[idx] & mo.in_episode[idx], BENEFIT["RHP"], code)
    omf = np.where(mo.occupied[idx], s.health_omf_working[idx], s.health_omf[idx])
    omf = np.where(omf == 0, s.health_omf[idx], omf)  # the month support stops, at the old extent
    partial = (s.health_start[idx] == mo.t) | (mo.leaving_support[idx] & (s.health_omf_working[idx] == 0))
    dagar = _paid_days(rng, mo.days, partial)
    belopp = s.health_daily[idx] * _index(mo.year) * dagar * omf / 100
    health = (idx, code, omf, dagar, _sek(belopp), _sek(belopp * s.fk_tax[idx]))

    idx = np.flatnonzero(mo.labour)
    etb = s.newly_arrived[idx] & (mo.t < s.start[idx] + 24)
    code = np.where(etb, BENEFIT["ETB"], np.where(mo.age[idx] < 25, BENEFIT["UTV"], BENEFIT["AKS"]))
    daily = np.select([code == BENEFIT["ETB"], code == BENEFIT["UTV"]], [_ETB_DAILY, _UTV_DAILY],
                      s.labour_daily[idx] * _index(mo.year))
    omf = s.labour_omf[idx]
    dagar = _paid_days(rng, mo.weekdays, (s.start[idx] == mo.t) | mo.leaving_support[idx])  # paid Mon-Fri
    belopp = daily * dagar * omf / 100
    taxed = code == BENEFIT["AKS"]  # utvecklings- and etableringsersättning are tax-free
    labour = (idx, code, omf, dagar, _sek(belopp), _sek(belopp * s.fk_tax[idx] * taxed))

    # Short sick spells while working: sjukpenning from day 15, about 80 % of salary. Not for
    # those already paid sjukpenning that month (one row per benefit and month).
    sick_already = mo.health & (s.health == BENEFIT["SJP"])
    idx = np.flatnonzero(mo.working & ~sick_already & (rng.random(len(mo.alive)) < 0.03))
    dagar = rng.integers(1, 17, len(idx))
    belopp = o.salary[idx] * 12 * 0.8 / 365 * dagar
    spells = (idx, np.full(len(idx), BENEFIT["SJP"]), np.full(len(idx), 100), dagar, _sek(belopp),
              _sek(belopp * s.fk_tax[idx]))

    person, code, omf, dagar, belopp, skatt = (np.concatenate(x) for x in zip(health, labour, spells))
    order = np.argsort(person, kind="stable")
    return _frame("fk_utbetalningar", mo, m.pop.ids[person[order]], {
        "formankod": np.asarray(FK_CODES, dtype=object)[code[order]],
        "omfattning": omf[order],
        "dagar": dagar[order],
        "belopp_sek": belopp[order],
        "skatt_sek": skatt[order],
    })


def _af_registered(m: Model, mo: Month) -> np.ndarray:
    s = m.support
    return mo.labour | ((s.af_registered_from <= mo.t) & mo.alive & ~mo.occupied)


def _af_month(m: Model, mo: Month, before: Month, rng: np.random.Generator) -> pd.DataFrame:
    s, o = m.support, m.outcome
    registered = _af_registered(m, mo)
    subsidised = mo.working & (o.subsidy >= 0)
    left = _af_registered(m, before) & ~registered & ~subsidised & mo.alive
    idx = np.flatnonzero(registered | subsidised | left)
    lonebidrag = subsidised[idx] & (o.subsidy[idx] == _SUBSIDY_TYPES.index("LONEBIDRAG"))
    in_programme = mo.labour[idx]
    kategori = np.select([in_programme, registered[idx], lonebidrag], [_AF_PROGRAMME, _AF_SEEKER, _AF_LONEBIDRAG], "")
    amount = o.subsidy_sek[idx] * _index(mo.year) * rng.uniform(0.95, 1.05, len(idx))
    return _frame("af_status", mo, m.pop.ids[idx], {
        "inskriven": np.where(registered[idx] | lonebidrag, "J", "N").astype(object),
        "sokandekategori": _none_if_empty(kategori),
        "program": np.where(in_programme, s.programme[idx], None),
        "lonestod_typ": np.where(subsidised[idx], np.asarray(_SUBSIDY_TYPES, dtype=object)[o.subsidy[idx]], None),
        "lonestod_sek": _nullable(_sek(amount), subsidised[idx]),
    })


def _bistand_month(m: Model, mo: Month, rng: np.random.Generator) -> pd.DataFrame:
    s = m.support
    # Paid until the first salary arrives: the month work or studies start still counts.
    stopped = mo.occupied & ~mo.leaving_support
    idx = np.flatnonzero((s.bistand > 0) & (s.bistand_start <= mo.t) & mo.alive & mo.resident & ~stopped)
    amount = s.bistand[idx] * _index(mo.year) * rng.uniform(0.9, 1.1, len(idx))
    return _frame("kommun_bistand", mo, m.pop.ids[idx], {
        "kommun": m.pop.kommun[idx],
        "belopp_sek": _sek(amount),
        "forsorjningshinder": s.hinder[idx],
    })


def _boende_month(m: Model, mo: Month, rng: np.random.Generator) -> pd.DataFrame:
    s = m.support
    idx = np.flatnonzero((s.boende_hours > 0) & (s.boende_start <= mo.t) & mo.alive & mo.resident)
    hours = np.clip(s.boende_hours[idx] * rng.uniform(0.75, 1.25, len(idx)), 5, 40)
    hours = np.round(hours * np.where(mo.occupied[idx], 0.7, 1.0) * 2) / 2  # in half hours
    return _frame("kommun_boendestod", mo, m.pop.ids[idx], {
        "kommun": m.pop.kommun[idx],
        "timmar": hours,
    })


def _lon_month(m: Model, mo: Month, rng: np.random.Generator) -> pd.DataFrame:
    o, s = m.outcome, m.support
    job = np.flatnonzero(mo.working)
    raises = 1.03 ** ((mo.t - o.work_start[job]) / 12)
    started_mid_month = np.where(o.work_start[job] == mo.t, rng.uniform(0.3, 1.0, len(job)), 1.0)
    salary = o.salary[job] * raises * started_mid_month * rng.uniform(0.92, 1.08, len(job))
    # Small odd jobs for some, in months without a real job.
    odd = np.flatnonzero((rng.random(len(mo.alive)) < s.side_income) & ~mo.working & mo.alive)
    person = np.concatenate([job, odd])
    gross = np.concatenate([salary, rng.uniform(1000, 8000, len(odd))])
    sector = np.concatenate([o.sector[job], _pick(rng, [0.6, 0.25, 0.0, 0.0, 0.15], len(odd))])
    order = np.argsort(person, kind="stable")
    return _frame("skv_lon", mo, m.pop.ids[person[order]], {
        "arbetsgivare_sektor": np.asarray(_SECTORS, dtype=object)[sector[order]],
        "bruttolon_sek": _sek(gross[order]),
        "skatteavdrag_sek": _sek(gross[order] * o.salary_tax[person[order]]),
    })


def _csn_month(m: Model, mo: Month, rng: np.random.Generator) -> pd.DataFrame:
    o = m.outcome
    draws = rng.random(len(mo.alive))
    summer_course = draws < 0.3
    july = mo.t % 12 == 6  # no study grant over the summer break, except for summer courses
    if july and mo.any_studies.any() and not (summer_course & mo.any_studies).any():
        # A small population can leave July without a summer student; CSN's real
        # register never delivers an empty month, and the loader refuses one.
        summer_course[np.flatnonzero(mo.any_studies)[np.argmin(draws[mo.any_studies])]] = True
    idx = np.flatnonzero(mo.any_studies & (summer_course | (not july)))
    grant = o.grant[idx] * 1.015 ** (mo.year - _INDEX_BASE_YEAR)
    return _frame("csn_studiestod", mo, m.pop.ids[idx], {
        "studieform": np.asarray(_STUDY_FORMS, dtype=object)[o.study_form[idx]],
        "bidrag_sek": _sek(grant),
        "lan_sek": _nullable(_sek(o.loan[idx]), o.loan[idx] > 0),
    })


def _vard_month(m: Model, mo: Month, rng: np.random.Generator) -> pd.DataFrame:
    s = m.support
    n = len(mo.alive)
    in_care = (s.care_rate > 0) & mo.alive & mo.resident
    visits = np.minimum(rng.poisson(s.care_rate * np.where(mo.occupied, 0.75, 1.0)), 6)
    inpatient = np.where(rng.random(n) < 0.005, np.minimum(rng.integers(1, 21, n), mo.days), 0)
    idx = np.flatnonzero(in_care & ((visits > 0) | (inpatient > 0)))
    return _frame("region_vard", mo, m.pop.ids[idx], {
        "oppenvardsbesok": visits[idx],
        "slutenvardsdagar": inpatient[idx],
    })


def _none_if_empty(values: np.ndarray) -> np.ndarray:
    out = values.astype(object)
    out[values == ""] = None
    return out


def _nullable(values: np.ndarray, given: np.ndarray) -> pd.arrays.IntegerArray:
    out = pd.array(values, dtype="Int64")
    out[~given] = pd.NA
    return out


def _frame(feed: str, mo: Month, ids: np.ndarray, columns: dict[str, object]) -> pd.DataFrame:
    frame = pd.DataFrame({"person_id": ids, "manad": _month_label(mo.t), **columns})
    return frame[FEEDS[feed].column_names]


def _monthly_frames(m: Model, t: int) -> dict[str, pd.DataFrame]:
    mo, before = _month_state(m, t), _month_state(m, t - 1)

    def rng(feed: str) -> np.random.Generator:
        return _rng(m.seed, feed, t)

    return {
        "fk_utbetalningar": _fk_month(m, mo, rng("fk_utbetalningar")),
        "af_status": _af_month(m, mo, before, rng("af_status")),
        "kommun_bistand": _bistand_month(m, mo, rng("kommun_bistand")),
        "kommun_boendestod": _boende_month(m, mo, rng("kommun_boendestod")),
        "skv_lon": _lon_month(m, mo, rng("skv_lon")),
        "csn_studiestod": _csn_month(m, mo, rng("csn_studiestod")),
        "region_vard": _vard_month(m, mo, rng("region_vard")),
    }


# --------------------------------------------------------------------------- register snapshots


@dataclass
class Register:
    """The episodes as the register shows them on the extract date."""

    forbund: np.ndarray
    frame: pd.DataFrame
    insats: np.ndarray
    entry: np.ndarray
    exit: np.ndarray


def _abandoned_stays(m: Model) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Earlier stays in the queue that ended without a start: about one in ten of those who came
    through the queue had put their name down 11-20 months before and left it after 2-10 months. They lie before the person's own kodatum, so no snapshot extracted at the end of the
    window shows them: only an earlier snapshot does (person, insats, kodatum, day left)."""
    ep, n = m.ep, len(m.pop.ids)
    rng = _rng(m.seed, "abandoned")
    first_kodatum = ep.kodatum[:n]
    earlier = first_kodatum - _days(rng.integers(330, 601, n))
    left = earlier + _days(rng.integers(60, 301, n))
    chosen = (rng.random(n) < 0.1) & ~np.isnat(first_kodatum) & (earlier >= m.window.start)
    return np.flatnonzero(chosen), ep.insats[:n][chosen], earlier[chosen], left[chosen]


def _register(m: Model, extract: np.datetime64 | None = None) -> Register:
    """The register as extracted on `extract` (default: the window's last day, the newest
    snapshot). A stay in the queue shows while waiting on the extract date."""
    final = extract is None
    extract = m.window.extract if final else extract
    ep, pop = m.ep, m.pop
    gone_person, gone_insats, gone_kodatum, gone_left = _abandoned_stays(m)
    nat = np.full(len(gone_person), np.datetime64("NaT", "D"))
    person = np.concatenate([ep.person, gone_person])
    insats = np.concatenate([ep.insats, gone_insats])
    kodatum = np.concatenate([ep.kodatum, gone_kodatum])
    latent_entry = np.concatenate([ep.entry, nat])
    latent_exit = np.concatenate([ep.exit, nat])
    visible = (kodatum <= extract) | (latent_entry <= extract)  # NaT compares False
    visible[len(ep.person):] &= gone_left > extract
    entry = np.where(latent_entry <= extract, latent_entry, np.datetime64("NaT", "D"))
    exit_ = np.where(latent_exit <= extract, latent_exit, np.datetime64("NaT", "D"))
    # the newest snapshot keeps the draws it always had; an earlier one has its own
    rng = _rng(m.seed, "register") if final else _rng(m.seed, "register", int(str(extract)[:4]))
    passive = rng.random(len(ep.person) if final else len(person)) < 0.15
    if final:
        passive = np.concatenate([passive, np.zeros(len(gone_person), dtype=bool)])
    status = np.select([np.isnat(entry), ~np.isnat(exit_), passive], ["vantar", "avslutad", "passiv"], "aktiv")
    reasons = np.concatenate([ep.reason, np.zeros(len(gone_person), dtype=ep.reason.dtype)])
    reason = np.where(status == "avslutad", np.asarray(EXIT_REASONS, dtype=object)[reasons], None)
    insats_ids = np.asarray([i.id for i in m.world.insatser], dtype=object)
    frame = pd.DataFrame({
        "person_id": pop.ids[person],
        "forbund_id": np.asarray(m.world.forbund_ids, dtype=object)[pop.forbund[person]],
        "insats_id": insats_ids[insats],
        "kodatum": _date_strings(kodatum),
        "inskrivningsdatum": _date_strings(entry),
        "avslutsdatum": _date_strings(exit_),
        "kon": np.where(pop.female[person], "K", "M").astype(object),
        "fodelsear": pop.birth_year[person],
        "hemkommun": pop.kommun[person],
        "utbildningsniva": pop.education[person],
        "status": status.astype(object),
        "avslutsorsak": reason,
    })[FEEDS["deltagare"].column_names]
    order = np.lexsort((latent_entry, person))
    order = order[visible[order]]
    return Register(pop.forbund[person][order], frame.iloc[order].reset_index(drop=True),
                    insats[order], entry[order], exit_[order])


def _mean_active(m: Model, reg: Register) -> np.ndarray:
    """Mean number of open episodes at month ends, per insats and year of the window."""
    w = m.window
    n_months = len(w.months)
    first = _month_of(reg.entry) - w.first_month
    # Open at a month's end from the entry month up to the month before exit.
    last = np.where(np.isnat(reg.exit), n_months - 1, _month_of(reg.exit) - w.first_month - 1)
    ok = ~np.isnat(reg.entry) & (last >= first)
    diff = np.zeros((len(m.world.insatser), n_months + 1))
    np.add.at(diff, (reg.insats[ok], first[ok]), 1)
    np.add.at(diff, (reg.insats[ok], last[ok] + 1), -1)
    active = np.cumsum(diff, axis=1)[:, :n_months]
    return active.reshape(len(m.world.insatser), -1, 12).mean(axis=2)


def _insatser_frame(m: Model, f: int) -> pd.DataFrame:
    rows = [i for i in m.world.insatser if i.forbund == f]
    return pd.DataFrame({
        "insats_id": [i.id for i in rows],
        "forbund_id": m.world.forbund_ids[f],
        "namn": [i.namn for i in rows],
        "metod": [i.metod for i in rows],
        "insatsagare": [i.agare for i in rows],
        "startdatum": [str(i.start) for i in rows],
        "slutdatum": pd.Series([None] * len(rows), dtype=object),
        "malgrupp": [i.malgrupp for i in rows],
    })


def _insats_ar_frame(m: Model, f: int, mean_active: np.ndarray) -> pd.DataFrame:
    """Coach FTE sized for 15-25 active participants each; about 0.6-1.0 MSEK per FTE."""
    records = []
    for k, ins in enumerate(m.world.insatser):
        if ins.forbund != f:
            continue
        rng = _rng(m.seed, "insats_ar", k)
        goal_work = float(rng.choice([0.2, 0.25, 0.3], p=[0.7, 0.2, 0.1]))
        goal_studies = float(rng.choice([0.2, 0.1], p=[0.6, 0.4]))
        first_year = max(m.window.from_year, int(str(ins.start)[:4]))
        for year in range(first_year, m.window.to_year + 1):
            active = mean_active[k, year - m.window.from_year]
            fte = max(0.25, round(active / rng.uniform(15, 25) / 0.05) * 0.05)
            cost = fte * rng.uniform(600_000, 1_000_000)
            records.append({
                "insats_id": ins.id,
                "ar": year,
                "budget_sek": int(round(cost * rng.uniform(0.95, 1.12), -4)),
                "kostnad_sek": int(round(cost, -3)),
                "arsarbetare_coach": round(fte, 2),
                "mal_andel_arbete": goal_work,
                "mal_andel_studier": goal_studies,
                "mal_andel_sysselsattning": 0.1,
                "mal_deltagare_per_coach": 20.0,
            })
    return pd.DataFrame.from_records(records, columns=FEEDS["insats_ar"].column_names)


def _programtrohet_frame(m: Model, f: int) -> pd.DataFrame:
    """IPS-25 reviews, one or two a year per IPS insats, improving a little over time."""
    records = []
    items = [f"i{i:02d}" for i in range(1, 26)]
    for k, ins in enumerate(m.world.insatser):
        if ins.forbund != f or ins.metod != "IPS":
            continue
        rng = _rng(m.seed, "programtrohet", k)
        level = rng.uniform(3.1, 4.4)
        item_bias = rng.normal(0, 0.3, 25)
        for year in range(m.window.from_year, m.window.to_year + 1):
            for datum in _review_dates(rng, year, ins.start):
                mean = min(4.8, level + 0.08 * (year - m.window.from_year))
                scores = np.clip(np.rint(rng.normal(mean + item_bias, 0.6)), 1, 5).astype(int)
                total_only = rng.random() < 0.2
                records.append({
                    "insats_id": ins.id,
                    "datum": str(datum),
                    "total_poang": int(scores.sum()),
                    **{name: (None if total_only else int(v)) for name, v in zip(items, scores)},
                })
    frame = pd.DataFrame.from_records(records, columns=FEEDS["programtrohet"].column_names)
    return frame.astype({name: "Int64" for name in items})


def _review_dates(rng: np.random.Generator, year: int, insats_start: np.datetime64) -> list[np.datetime64]:
    """One or two review dates in the year, at least three months after the insats began."""
    halves = [(f"{year}-01-01", 181), (f"{year}-07-01", 184)]
    if rng.random() < 0.5:
        halves = [halves[int(rng.integers(2))]]
    earliest = insats_start + np.timedelta64(90, "D")
    dates = [np.datetime64(first, "D") + np.timedelta64(int(rng.integers(days)), "D") for first, days in halves]
    return [d for d in dates if d >= earliest]


# --------------------------------------------------------------------------- writing


class _Writer:
    """Writes frames as agency CSV (';', UTF-8, header, empty = missing) and counts them."""

    def __init__(self, out: Path) -> None:
        self._out = out
        self._con = duckdb.connect()
        self.summary = {name: {"files": 0, "rows": 0} for name in FEEDS}

    def write(self, feed: Feed, file_name: str, frame: pd.DataFrame) -> None:
        if list(frame.columns) != feed.column_names:
            raise ValueError(f"{feed.name}: columns {list(frame.columns)} differ from the contract")
        path = self._out / feed.name / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        self._con.register("frame", frame)
        self._con.execute(f"COPY frame TO '{str(path).replace(chr(39), chr(39) * 2)}' (HEADER, DELIMITER ';')")
        self._con.unregister("frame")
        self.summary[feed.name]["files"] += 1
        self.summary[feed.name]["rows"] += len(frame)

    def close(self) -> None:
        self._con.close()


def _write_snapshots(m: Model, writer: _Writer, register_history: bool) -> None:
    reg = _register(m)
    mean_active = _mean_active(m, reg)
    stamp = str(m.window.extract).replace("-", "")
    for f, fid in enumerate(m.world.forbund_ids):
        frames = {
            "deltagare": reg.frame[reg.forbund == f],
            "insatser": _insatser_frame(m, f),
            "insats_ar": _insats_ar_frame(m, f, mean_active),
            "programtrohet": _programtrohet_frame(m, f),
        }
        for name, frame in frames.items():
            writer.write(FEEDS[name], f"{name}_{fid}_{stamp}.csv", frame)
    if register_history:
        # the register as extracted at the end of every earlier year: the queue's history
        for year in range(m.window.from_year, m.window.to_year):
            earlier = _register(m, np.datetime64(f"{year}-12-31", "D"))
            for f, fid in enumerate(m.world.forbund_ids):
                writer.write(FEEDS["deltagare"], f"deltagare_{fid}_{year}1231.csv", earlier.frame[earlier.forbund == f])


def generate(
    out: Path,
    *,
    forbund: int,
    participants: int,
    from_year: int,
    to_year: int,
    seed: int,
    progress: bool = False,
    register_history: bool = False,
) -> dict[str, dict[str, int]]:
    """Write every feed's deliveries for the window under `out`; return files and rows per feed.

    `register_history`: also the deltagare register as extracted on 31 December of every earlier
    year of the window (the queue and the aktiv/passiv status of past months are read from them);
    the newest snapshot is the same either way."""
    if not 1 <= forbund <= MAX_FORBUND or participants < 1 or from_year > to_year:
        raise ValueError(f"need 1–{MAX_FORBUND} förbund, at least one participant, and from_year <= to_year")
    window = Window(from_year, to_year)
    model = build_model(seed, forbund, participants, window)
    writer = _Writer(Path(out))
    try:
        _write_snapshots(model, writer, register_history)
        with Progress(disable=not progress) as bar:
            task = bar.add_task("Writing monthly deliveries", total=len(window.months))
            for t in window.months:
                for name, frame in _monthly_frames(model, t).items():
                    writer.write(FEEDS[name], f"{name}_{_month_label(t).replace('-', '')}.csv", frame)
                bar.advance(task)
    finally:
        writer.close()
    return {name: writer.summary[name] for name in FEEDS}
