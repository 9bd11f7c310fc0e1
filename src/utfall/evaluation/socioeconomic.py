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

The calculation is one SQL macro, dbt/macros/socioeconomic.sql: dbt runs it per förbund ×
insats × year for mart_socioeconomic_year, and `calculate()` renders the same macro with
Jinja2 and runs it on DuckDB. Amounts are exact decimals (six decimals); SEK are rounded half
up to whole kronor in `as_json()` only, return_per_krona to two decimals.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import duckdb
import jinja2

from utfall.db.config import project_dir
from utfall.ingest.reference import load_parameters, seed_rows

# Which outcome counts for which measure is the macro's (see the module docstring).
OUTCOMES = ("arbete", "studier", "sysselsattning")

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

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Parameters":
        """The parameters a row of the SQL calculation (or of mart_socioeconomic_year) used."""
        def d(column: str) -> Decimal:
            value = row[column]
            return Decimal(0) if value is None or value != value else Decimal(str(value))

        return cls(
            tax_rate=d("tax_rate"), production_factor=d("production_factor"),
            housing_support_cost_per_hour=d("housing_support_cost_per_hour"), cost=d("cost_sek"),
            benefit_period_years=d("benefit_period_years"), persistence_share=d("persistence_share"),
            ips_effect_min=1 / (1 - d("attributable_share_min")), ips_effect_max=1 / (1 - d("attributable_share_max")),
        )

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
    rows = seed_rows("yearly_parameters")
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

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "Result":
        """From a row of the SQL calculation (or of mart_socioeconomic_year): its column names."""
        def d(column: str) -> Decimal:
            value = row[column]
            return Decimal(0) if value is None else Decimal(str(value))

        ratio = row["return_per_krona"]
        return cls(
            persons=int(row["persons"]),
            per_year=PerYear(
                ReducedPayments(d("reduced_payments_fk_sek"), d("reduced_payments_af_sek"),
                                d("reduced_payments_kommun_sek"), d("reduced_payments_total_sek")),
                d("increased_tax_sek"), d("production_value_sek"), d("wage_subsidies_sek"),
                HousingSupport(d("housing_support_before_sek"), d("housing_support_after_sek"),
                               d("housing_support_savings_sek")),
                d("public_gain_sek"),
            ),
            perspectives=Perspectives(d("society_sek"), d("fk_sek"), d("af_sek"), d("kommun_sek")),
            cost=d("cost_sek"),
            net=d("net_sek"),
            return_per_krona=None if ratio is None else Decimal(str(ratio)),
            projection=Projection(d("projection_factor"), d("projection_reduced_payments_sek"),
                                  d("projection_increased_tax_sek"), d("projection_housing_support_savings_sek")),
            counterfactual=Counterfactual(d("attributable_min_sek"), d("attributable_max_sek")),
        )

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


# The calculation itself is SQL, in the dbt project's macro: the mart runs it on register
# data, this module renders the same macro with plain Jinja2 and runs it on DuckDB.
MACRO_FILE = Path("dbt") / "macros" / "socioeconomic.sql"

# Person field → the macro's input column (the calculator's file speaks Swedish).
PERSON_COLUMNS = {
    "fk_fore_sek": "fk_before_sek",
    "af_fore_sek": "af_before_sek",
    "kommun_fore_sek": "kommun_before_sek",
    "skatt_fore_sek": "tax_before_sek",
    "lon_sek": "salary_sek",
    "lonestod_sek": "wage_subsidy_sek",
    "boendestod_fore_tim_vecka": "housing_hours_week_before",
    "boendestod_efter_tim_vecka": "housing_hours_week_after",
}
# The per-person file gives support before inskrivning only: after exit counts as none (the FoU
# per-person table's convention), so the macro's 'after' inputs are 0 here.
AFTER_COLUMNS = ("fk_after_sek", "af_after_sek", "kommun_after_sek", "tax_after_sek")


def calculation_sql(persons: str, parameters: str, keys: Sequence[str] = ()) -> str:
    """The macro socioeconomic_calculation rendered for these relations (dbt's own rendering
    does the same for mart_socioeconomic_year)."""
    text = (project_dir() / MACRO_FILE).read_text(encoding="utf-8")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    call = "{{ socioeconomic_calculation(persons, parameters, keys) }}"
    return env.from_string(text + call).render(persons=persons, parameters=parameters, keys=list(keys))


def calculate(persons: Iterable[Person], params: Parameters) -> Result:
    """The socioeconomic effect per year of these persons' move, and what follows from it."""
    people = list(persons)
    for p in people:
        if p.utfall not in OUTCOMES:
            raise ValueError(f"unknown utfall {p.utfall!r}; expected one of {', '.join(OUTCOMES)}")
    exact = "decimal(38, 6)"
    with duckdb.connect() as con:
        con.execute("CREATE TABLE persons (outcome VARCHAR, "
                    + ", ".join(f"{c} {exact}" for c in PERSON_COLUMNS.values()) + ", "
                    + ", ".join(f"{c} {exact} DEFAULT 0" for c in AFTER_COLUMNS) + ")")
        if people:  # DuckDB refuses an executemany of nothing; the calculation over nobody is zeros
            con.executemany(f"INSERT INTO persons (outcome, {', '.join(PERSON_COLUMNS.values())}) "
                            f"VALUES ({', '.join('?' * (1 + len(PERSON_COLUMNS)))})",
                            [[p.utfall, *(getattr(p, f) for f in PERSON_COLUMNS)] for p in people])
        values = {
            "tax_rate": params.tax_rate,
            "production_factor": params.production_factor,
            "housing_support_cost_per_hour": params.housing_support_cost_per_hour,
            "cost_sek": params.cost,
            "benefit_period_years": params.benefit_period_years,
            "persistence_share": params.persistence_share,
            # IPS k times as effective as ordinary rehabilitation: 1 − 1/k of the gain is its own
            "attributable_share_min": 1 - 1 / params.ips_effect_min,
            "attributable_share_max": 1 - 1 / params.ips_effect_max,
        }
        con.execute("CREATE TABLE parameters AS SELECT "
                    + ", ".join(f"CAST(? AS {exact}) AS {name}" for name in values),
                    [str(v) for v in values.values()])
        cursor = con.execute(calculation_sql("persons", "parameters"))
        names = [c[0] for c in cursor.description]
        return Result.from_row(dict(zip(names, cursor.fetchone())))
