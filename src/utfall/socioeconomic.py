"""The socioeconomic calculation (domain brief §5): one implementation, for the annual
report and for `utfall socioeconomic`.

Input: one `Person` per participant who left the insats for work, studies or meaningful
occupation, with monthly figures (SEK, hours of boendestöd per week). Output: a `Result`
shaped exactly like the calculator's `--json` (`Result.as_json()`).

Reading of the FoU conventions (brief §5) — which outcome counts for which measure:

- yearly effect = 12 × monthly figure (boendestöd: hours per week × 52).
- **Reduced payments** (support before, per payer) count for `arbete` and `studier`: the
  brief counts them "for participants who moved into work or studies". Someone in
  `sysselsattning` (social training, daglig verksamhet) usually keeps their support, so
  their support before is not a saving.
- **Increased tax** = lön × skattesats − tax withheld on support before, and **production
  value** = lön × produktionsfaktor, for `arbete` only (a student's side job is not counted).
- **Wage subsidies** (lönestöd) are a cost and count for everyone in the file: a cost is
  never left out.
- **Boendestöd** before and after is measured for everyone, so its change counts for
  everyone, `sysselsattning` included.
- public_gain = reduced payments (total) + boendestöd savings + increased tax.

Perspectives (who gains):
- **fk** = FK's reduced payments (FK's own budget; aktivitetsstöd and the other benefits FK
  pays from Arbetsförmedlingen's budget belong to af, as the input's `af_fore_sek` does).
- **af** = AF-budget reduced payments − wage subsidies (Arbetsförmedlingen pays lönestöd).
- **kommun** = reduced kommun payments (ekonomiskt bistånd) + boendestöd savings: the
  kommun's narrow view of the brief.
- **society** = production value − wage subsidies + boendestöd savings. For society as a
  whole, support and taxes are transfers between the public sector and the person and
  cancel out; what is gained are real resources: the work produced and the boendestöd hours
  freed. Lönestöd compensates the employer for reduced work capacity, so subsidised work is
  valued at its labour cost minus the subsidy (cautious).
  The region's share (part of the increased tax) and the individual are not separate keys.

cost = insatskostnad; net = public_gain − cost; return_per_krona = public_gain / cost (None
when the cost is 0). Projection: factor = nyttoperiod_ar × andel_kvarstar, applied to the
per-year reduced payments, increased tax and boendestöd savings. Counterfactual: the share
attributable to the insats lies between 1 − 1/effekt_ips_min and 1 − 1/effekt_ips_max.

Arithmetic is exact in Decimal (28 significant digits); SEK are rounded half up to whole
kronor in `as_json()` only, return_per_krona to two decimals.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Iterable, Mapping

from utfall.config import project_dir
from utfall.reference import load_parameters

MONTHS_PER_YEAR = 12
WEEKS_PER_YEAR = 52

# utfall → which measures it counts for (see the module docstring).
OUTCOMES = ("arbete", "studier", "sysselsattning")
REDUCES_PAYMENTS = frozenset({"arbete", "studier"})
EARNS = frozenset({"arbete"})  # increased tax and production value

AMOUNT_COLUMNS = (
    "fk_fore_sek", "af_fore_sek", "kommun_fore_sek", "skatt_fore_sek", "lon_sek", "lonestod_sek",
    "boendestod_fore_tim_vecka", "boendestod_efter_tim_vecka",
)
COLUMNS = ("person_id", "utfall", *AMOUNT_COLUMNS)


@dataclass(frozen=True)
class Person:
    """Monthly figures of one person (SEK per month; boendestöd in hours per week)."""

    utfall: str
    fk_fore_sek: Decimal = Decimal(0)
    af_fore_sek: Decimal = Decimal(0)
    kommun_fore_sek: Decimal = Decimal(0)
    skatt_fore_sek: Decimal = Decimal(0)
    lon_sek: Decimal = Decimal(0)
    lonestod_sek: Decimal = Decimal(0)
    boendestod_fore_tim_vecka: Decimal = Decimal(0)
    boendestod_efter_tim_vecka: Decimal = Decimal(0)

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> "Person":
        """From a dict or a DataFrame record (`df.to_dict("records")`); person_id is not kept."""
        def amount(value: Any) -> Decimal:
            missing = value is None or value != value  # None, or NaN from a DataFrame
            return Decimal(0) if missing else Decimal(str(value))

        return cls(utfall=row["utfall"], **{c: amount(row.get(c)) for c in AMOUNT_COLUMNS})


# --- parameters ------------------------------------------------------------------------


class ParameterError(ValueError):
    def __init__(self, name: str, rule: str, message: str):
        super().__init__(f"--param {name}: {message} [regel {rule}]")
        self.name, self.rule = name, rule


@dataclass(frozen=True)
class ParameterSpec:
    name: str  # the calculator's (Swedish) name, as in --param
    field: str  # Parameters attribute
    source: str  # where the default lives, for help texts
    label_sv: str
    check: Callable[[Decimal], str | None]  # why a value is not allowed, or None


def _share(v: Decimal) -> str | None:
    return None if 0 <= v <= 1 else "ska vara mellan 0 och 1"


def _non_negative(v: Decimal) -> str | None:
    return None if v >= 0 else "får inte vara negativ"


def _effect(v: Decimal) -> str | None:
    # 1 = no more effective than ordinary rehabilitation: nothing attributable; below 1 has no meaning here.
    return None if v >= 1 else "ska vara minst 1 (hur många gånger effektivare IPS är)"


PARAMETER_SPECS = (
    ParameterSpec("skattesats", "tax_rate", "seeds/yearly_parameters.csv: local_tax_rate, senaste året",
                  "Kommunal + regional skattesats", _share),
    ParameterSpec("produktionsfaktor", "production_factor", "seeds/parameters.csv: production_factor",
                  "Produktionsvärde per lönekrona", _non_negative),
    ParameterSpec("boendestod_kr_per_timme", "housing_support_cost_per_hour", "seeds/parameters.csv: boendestod_cost_per_hour_sek",
                  "Kostnad per timme boendestöd (kr)", _non_negative),
    ParameterSpec("insatskostnad_sek", "cost", "seeds/parameters.csv: calculator_insats_cost_sek",
                  "Insatsens kostnad (kr)", _non_negative),
    ParameterSpec("nyttoperiod_ar", "benefit_period_years", "seeds/parameters.csv: benefit_period_years",
                  "Nyttoperiod (år)", _non_negative),
    ParameterSpec("andel_kvarstar", "persistence_share", "seeds/parameters.csv: persistence_share",
                  "Andel som står kvar i egen försörjning varje år", _share),
    ParameterSpec("effekt_ips_min", "ips_effect_min", "1 / (1 − attributable_share_low), seeds/parameters.csv",
                  "IPS effektivare än ordinarie rehabilitering, minst (gånger)", _effect),
    ParameterSpec("effekt_ips_max", "ips_effect_max", "1 / (1 − attributable_share_high), seeds/parameters.csv",
                  "IPS effektivare än ordinarie rehabilitering, högst (gånger)", _effect),
)
SPECS_BY_NAME = {s.name: s for s in PARAMETER_SPECS}


@dataclass(frozen=True)
class Parameters:
    tax_rate: Decimal
    production_factor: Decimal
    housing_support_cost_per_hour: Decimal
    cost: Decimal
    benefit_period_years: Decimal
    persistence_share: Decimal
    ips_effect_min: Decimal
    ips_effect_max: Decimal

    def by_name(self) -> dict[str, Decimal]:
        """Calculator name → value, in the order of PARAMETER_SPECS."""
        return {s.name: getattr(self, s.field) for s in PARAMETER_SPECS}


def default_parameters() -> Parameters:
    """The defaults, read from the seeds (their one definition) as exact decimals."""
    seeds = load_parameters()

    def seed(name: str) -> Decimal:
        if name not in seeds:
            raise KeyError(f"parameter {name!r} is missing from seeds/parameters.csv")
        return Decimal(seeds[name])

    return Parameters(
        tax_rate=latest_local_tax_rate(),
        production_factor=seed("production_factor"),
        housing_support_cost_per_hour=seed("boendestod_cost_per_hour_sek"),
        cost=seed("calculator_insats_cost_sek"),
        benefit_period_years=seed("benefit_period_years"),
        persistence_share=seed("persistence_share"),
        # The seeds hold the attributable shares (50 % and 75 %); the calculator speaks of how
        # many times more effective IPS is: share = 1 − 1/effect, so effect = 1 / (1 − share).
        ips_effect_min=1 / (1 - seed("attributable_share_low")),
        ips_effect_max=1 / (1 - seed("attributable_share_high")),
    )


def latest_local_tax_rate() -> Decimal:
    """The municipal + regional tax rate of the latest year in seeds/yearly_parameters.csv."""
    with (project_dir() / "seeds" / "yearly_parameters.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return Decimal(max(rows, key=lambda r: int(r["year"]))["local_tax_rate"])


def with_overrides(base: Parameters, overrides: Mapping[str, Decimal]) -> Parameters:
    """Replace parameters by calculator name; ParameterError for an unknown name or a bad value."""
    values = {f.name: getattr(base, f.name) for f in fields(base)}
    for name, value in overrides.items():
        spec = SPECS_BY_NAME.get(name)
        if spec is None:
            raise ParameterError(name, "unknown_parameter",
                                 "okänd parameter; kända är " + ", ".join(SPECS_BY_NAME))
        problem = spec.check(value)
        if problem:
            raise ParameterError(name, "bad_parameter_value", problem)
        values[spec.field] = value
    params = Parameters(**values)
    if params.ips_effect_min > params.ips_effect_max:
        raise ParameterError("effekt_ips_min", "bad_parameter_value", "får inte vara större än effekt_ips_max")
    return params


# --- the calculation -------------------------------------------------------------------


@dataclass(frozen=True)
class ReducedPayments:
    fk: Decimal
    af: Decimal
    kommun: Decimal
    total: Decimal


@dataclass(frozen=True)
class HousingSupport:
    before: Decimal
    after: Decimal
    savings: Decimal


@dataclass(frozen=True)
class PerYear:
    reduced_payments: ReducedPayments
    increased_tax: Decimal
    production_value: Decimal
    wage_subsidies: Decimal
    housing_support: HousingSupport
    public_gain: Decimal


@dataclass(frozen=True)
class Perspectives:
    society: Decimal
    fk: Decimal
    af: Decimal
    kommun: Decimal


@dataclass(frozen=True)
class Projection:
    factor: Decimal
    reduced_payments: Decimal
    increased_tax: Decimal
    housing_support_savings: Decimal


@dataclass(frozen=True)
class Counterfactual:
    attributable_min: Decimal
    attributable_max: Decimal


@dataclass(frozen=True)
class Result:
    persons: int
    per_year: PerYear
    perspectives: Perspectives
    cost: Decimal
    net: Decimal
    return_per_krona: Decimal | None
    projection: Projection
    counterfactual: Counterfactual

    def as_json(self) -> dict[str, Any]:
        """The `--json` shape: SEK rounded half up to whole kronor; the two ratios are not SEK."""
        tree = asdict(self)
        tree = _round_sek(tree)
        tree["projection"]["factor"] = float(self.projection.factor)
        tree["return_per_krona"] = (
            None if self.return_per_krona is None
            else float(self.return_per_krona.quantize(Decimal("0.01"), ROUND_HALF_UP))
        )
        return tree


def _round_sek(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _round_sek(v) for k, v in node.items()}
    if isinstance(node, Decimal):
        return int(node.quantize(Decimal(1), ROUND_HALF_UP))
    return node


def calculate(persons: Iterable[Person], params: Parameters) -> Result:
    """The socioeconomic effect per year of these persons' move, and what follows from it."""
    people = list(persons)
    for p in people:
        if p.utfall not in OUTCOMES:
            raise ValueError(f"unknown utfall {p.utfall!r}; expected one of {', '.join(OUTCOMES)}")
    movers = [p for p in people if p.utfall in REDUCES_PAYMENTS]
    earners = [p for p in people if p.utfall in EARNS]

    def yearly(values: Iterable[Decimal]) -> Decimal:
        return MONTHS_PER_YEAR * sum(values, Decimal(0))

    fk = yearly(p.fk_fore_sek for p in movers)
    af = yearly(p.af_fore_sek for p in movers)
    kommun = yearly(p.kommun_fore_sek for p in movers)
    reduced = ReducedPayments(fk, af, kommun, fk + af + kommun)
    increased_tax = yearly(p.lon_sek * params.tax_rate - p.skatt_fore_sek for p in earners)
    production_value = yearly(p.lon_sek * params.production_factor for p in earners)
    wage_subsidies = yearly(p.lonestod_sek for p in people)

    hour_cost = WEEKS_PER_YEAR * params.housing_support_cost_per_hour
    before = hour_cost * sum((p.boendestod_fore_tim_vecka for p in people), Decimal(0))
    after = hour_cost * sum((p.boendestod_efter_tim_vecka for p in people), Decimal(0))
    housing = HousingSupport(before, after, before - after)

    public_gain = reduced.total + housing.savings + increased_tax
    factor = params.benefit_period_years * params.persistence_share
    return Result(
        persons=len(people),
        per_year=PerYear(reduced, increased_tax, production_value, wage_subsidies, housing, public_gain),
        perspectives=Perspectives(
            society=production_value - wage_subsidies + housing.savings,
            fk=reduced.fk,
            af=reduced.af - wage_subsidies,
            kommun=reduced.kommun + housing.savings,
        ),
        cost=params.cost,
        net=public_gain - params.cost,
        return_per_krona=public_gain / params.cost if params.cost else None,
        projection=Projection(factor, reduced.total * factor, increased_tax * factor, housing.savings * factor),
        counterfactual=Counterfactual(
            attributable_min=public_gain * (1 - 1 / params.ips_effect_min),
            attributable_max=public_gain * (1 - 1 / params.ips_effect_max),
        ),
    )
