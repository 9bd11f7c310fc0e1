"""The delivery contracts: one definition per feed (domain brief §3).

Everything that knows a feed's columns is derived from here: the loader's parsing
and validation (`utfall.ingest.validation`), the Great Expectations suites in
`expectations/deliveries/` and the dbt source definitions in `dbt/models/staging/raw/`
(`utfall contracts export` writes both; a test fails when they drift). Adding a
column to a feed is one edit in this file plus `make contracts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["pseudonym", "text", "code", "integer", "amount", "decimal", "date", "month"]
FeedKind = Literal["monthly", "snapshot"]

# How each column type is stored in raw (types DuckDB and PostgreSQL both know).
STORAGE_TYPES: dict[str, str] = {
    "pseudonym": "VARCHAR",
    "text": "VARCHAR",
    "code": "VARCHAR",
    "integer": "BIGINT",
    "amount": "DECIMAL(18,2)",  # whole SEK in practice, but a decimal comma happens
    "decimal": "DOUBLE PRECISION",  # DuckDB's DOUBLE, spelled so PostgreSQL takes it too
    "date": "DATE",
    "month": "DATE",  # first day of the month
}

# How a delivered number may be written (domain brief §3): digits, a decimal comma or point
# only where the type has decimals (an amount at most two: more would be rounded), and a
# leading minus so that a negative amount is reported as one. No exponent, hex, underscores,
# '+' or thousands separators: DuckDB would read 1e1, 0x1F and 1_0 as 10, 31 and 10 and
# round 20.7 to 21 in a whole-number column.
NUMBER_FORMATS: dict[str, tuple[str, str]] = {
    "integer": (r"-?[0-9]+", "a whole number (digits only)"),
    "amount": (r"-?[0-9]+([,.][0-9]{1,2})?", "an amount in SEK (digits, optional decimal comma or point, "
               "at most two decimals)"),
    "decimal": (r"-?[0-9]+([,.][0-9]+)?", "a number (digits, optional decimal comma or point)"),
}

PSEUDONYM_PATTERN = r"^[0-9a-f]{64}$"
KOMMUN_PATTERN = r"^[0-9]{4}$"
FORBUND_ID_PATTERN = r"^[A-Za-z0-9-]{1,20}$"  # no '_': it separates the parts of a file name
EARLIEST_PLAUSIBLE_DATE = "1990-01-01"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    description: str
    required: bool = False
    codes: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    # Dates: latest plausible value. "file_date" = the snapshot's extract date.
    latest: Literal["today", "file_date"] | None = None
    # A column the sender may leave out of the header entirely (loaded as NULL).
    optional_in_header: bool = False
    # Name in the staging models (English, analysts' vocabulary); default: as delivered.
    english: str = ""

    @property
    def staging_name(self) -> str:
        return self.english or self.name

    @property
    def is_flag(self) -> bool:
        """J/N codes: staging turns them into booleans."""
        return set(self.codes) == {"J", "N"}

    @property
    def storage_type(self) -> str:
        return STORAGE_TYPES[self.type]

    @property
    def effective_pattern(self) -> str | None:
        if self.pattern:
            return self.pattern
        if self.type == "pseudonym":
            return PSEUDONYM_PATTERN
        return None


@dataclass(frozen=True)
class RowRule:
    """A rule across columns, as a SQL condition over the typed row that must hold."""

    name: str
    condition: str
    columns: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Feed:
    name: str
    agency: str
    description: str
    kind: FeedKind
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    row_rules: tuple[RowRule, ...] = ()
    # Airflow schedule of the ingest DAG (UTC cron).
    schedule: str = ""
    # A register whose every version is read, not only the newest (the queue's history): dbt
    # gets a second staging model, <staging_model>_versions, over every snapshot version.
    keeps_versions: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name}")

    @property
    def period_column(self) -> str | None:
        """The month column a monthly file's period must match."""
        return "manad" if self.kind == "monthly" else None

    @property
    def forbund_column(self) -> str | None:
        return "forbund_id" if "forbund_id" in self.column_names else None

    @property
    def raw_table(self) -> str:
        return f"raw.{self.name}"

    @property
    def staging_model(self) -> str:
        """stg_<agency>__<feed>, the feed name without a repeated agency prefix."""
        return f"stg_{self.agency}__{self.name.removeprefix(self.agency + '_')}"

    @property
    def versions_model(self) -> str | None:
        """The staging model of every snapshot version (keeps_versions), else None."""
        return f"{self.staging_model}_versions" if self.keeps_versions else None


def _person() -> Column:
    return Column("person_id", "pseudonym", "Pseudonym: lowercase hex HMAC-SHA256 of the personnummer", required=True)


def _month() -> Column:
    return Column("manad", "month", "Month the row refers to (YYYY-MM)", required=True, english="month_start")


def _sek(name: str, description: str, required: bool = False, english: str = "") -> Column:
    return Column(name, "amount", description, required=required, minimum=0, english=english)


MONTHLY_SCHEDULE = "0 6 15 * *"  # agencies deliver the previous month by the 15th
SNAPSHOT_SCHEDULE = "0 6 * * *"  # register snapshots can come any day: look daily
# The delivery agreement: month M is due by this day of month M + 1 (utfall.dq.freshness judges it).
DUE_DAY = 20

FEEDS_LIST: tuple[Feed, ...] = (
    Feed(
        name="deltagare",
        agency="forbund",
        description="Participation episodes; each file is a full snapshot of one förbund's register",
        kind="snapshot",
        schedule=SNAPSHOT_SCHEDULE,
        keeps_versions=True,  # the queue and the register status of past months
        key=("person_id", "insats_id", "kodatum", "inskrivningsdatum"),
        columns=(
            _person(),
            Column("forbund_id", "text", "Samordningsförbund id", required=True, pattern=FORBUND_ID_PATTERN),
            Column("insats_id", "text", "Insats (programme) id", required=True),
            Column("kodatum", "date", "Date put on the waiting list (kö)", latest="file_date", english="queued_on"),
            Column("inskrivningsdatum", "date", "Date of entry (inskrivning); empty while waiting", latest="file_date", english="entered_on"),
            Column("avslutsdatum", "date", "Date of exit (avslut); empty while open", latest="file_date", english="exited_on"),
            Column("kon", "code", "Sex", required=True, codes=("K", "M"), english="sex"),
            Column("fodelsear", "integer", "Year of birth", required=True, minimum=1900, maximum=2100, english="birth_year"),
            Column("hemkommun", "text", "Home kommun, 4-digit SCB code", required=True, pattern=KOMMUN_PATTERN, english="home_kommun_code"),
            Column(
                "utbildningsniva",
                "code",
                "Highest education",
                codes=("grundskola", "gymnasium", "eftergymnasial", "hogskola", "okand"), english="education_level"
            ),
            Column("status", "code", "Register status", required=True, codes=("vantar", "aktiv", "passiv", "avslutad"), english="register_status"),
            Column(
                "avslutsorsak",
                "code",
                "Reported exit reason",
                codes=(
                    "arbete", "arbete_subventionerat", "studier", "arbetssokande", "sjukskrivning",
                    "annan_insats", "flyttat", "avbrutit", "avliden", "felregistrering", "ovrigt",
                ), english="exit_reason"
            ),
        ),
        row_rules=(
            RowRule(
                "has_queue_or_entry_date",
                "kodatum IS NOT NULL OR inskrivningsdatum IS NOT NULL",
                ("kodatum", "inskrivningsdatum"),
                "An episode needs kodatum or inskrivningsdatum",
            ),
            RowRule(
                "queue_before_entry",
                "kodatum IS NULL OR inskrivningsdatum IS NULL OR kodatum <= inskrivningsdatum",
                ("kodatum", "inskrivningsdatum"),
                "kodatum must not be after inskrivningsdatum",
            ),
            RowRule(
                "exit_after_entry",
                "avslutsdatum IS NULL OR (inskrivningsdatum IS NOT NULL AND avslutsdatum >= inskrivningsdatum)",
                ("inskrivningsdatum", "avslutsdatum"),
                "avslutsdatum needs an inskrivningsdatum on or before it",
            ),
            RowRule(
                "waiting_iff_no_entry",
                "(status = 'vantar') = (inskrivningsdatum IS NULL)",
                ("status", "inskrivningsdatum"),
                "status 'vantar' exactly when inskrivningsdatum is empty",
            ),
            RowRule(
                "ended_iff_exit_date",
                "(status = 'avslutad') = (avslutsdatum IS NOT NULL)",
                ("status", "avslutsdatum"),
                "status 'avslutad' exactly when avslutsdatum is set",
            ),
            RowRule(
                "exit_reason_iff_ended",
                "(status = 'avslutad') = (avslutsorsak IS NOT NULL)",
                ("status", "avslutsorsak"),
                "avslutsorsak is given exactly for ended episodes",
            ),
        ),
    ),
    Feed(
        name="insatser",
        agency="forbund",
        description="The förbund's insatser (programmes); full snapshot",
        kind="snapshot",
        schedule=SNAPSHOT_SCHEDULE,
        key=("insats_id",),
        columns=(
            Column("insats_id", "text", "Insats id", required=True),
            Column("forbund_id", "text", "Samordningsförbund id", required=True, pattern=FORBUND_ID_PATTERN),
            Column("namn", "text", "Name of the insats", required=True, english="insats_name"),
            Column("metod", "code", "Method", required=True, codes=("IPS", "IPS_LITE", "SE", "SED", "ANNAN"), english="method"),
            Column("insatsagare", "text", "Organisation running the insats", english="operator"),
            Column("startdatum", "date", "Start date", required=True, english="started_on"),
            Column("slutdatum", "date", "End date (empty while running)", english="ended_on"),
            Column("malgrupp", "text", "Target group", english="target_group"),
        ),
        row_rules=(
            RowRule(
                "end_after_start",
                "slutdatum IS NULL OR slutdatum >= startdatum",
                ("startdatum", "slutdatum"),
                "slutdatum must not be before startdatum",
            ),
        ),
    ),
    Feed(
        name="insats_ar",
        agency="forbund",
        description="Budget, cost, coach FTE and goals per insats and year",
        kind="snapshot",
        schedule=SNAPSHOT_SCHEDULE,
        key=("insats_id", "ar"),
        columns=(
            Column("insats_id", "text", "Insats id", required=True),
            Column("ar", "integer", "Year", required=True, minimum=1990, maximum=2100, english="year"),
            _sek("budget_sek", "Budget for the year, SEK"),
            _sek("kostnad_sek", "Actual cost for the year, SEK", english="cost_sek"),
            Column("arsarbetare_coach", "decimal", "Coach FTE (årsarbetare)", minimum=0, maximum=1000, english="coach_fte"),
            Column("mal_andel_arbete", "decimal", "Goal: share of ended going to work", minimum=0, maximum=1, english="goal_share_work"),
            Column("mal_andel_studier", "decimal", "Goal: share of ended going to studies", minimum=0, maximum=1, english="goal_share_studies"),
            Column(
                "mal_andel_sysselsattning", "decimal", "Goal: share to meaningful occupation", minimum=0, maximum=1, english="goal_share_occupation"
            ),
            Column("mal_deltagare_per_coach", "decimal", "Goal: participants per coach", minimum=0, maximum=1000, english="goal_participants_per_coach"),
        ),
    ),
    Feed(
        name="programtrohet",
        agency="forbund",
        description="IPS-25 fidelity reviews",
        kind="snapshot",
        schedule=SNAPSHOT_SCHEDULE,
        key=("insats_id", "datum"),
        columns=(
            Column("insats_id", "text", "Insats id", required=True),
            Column("datum", "date", "Date of the review", required=True, latest="file_date", english="reviewed_on"),
            Column("total_poang", "integer", "IPS-25 total score", required=True, minimum=25, maximum=125, english="total_score"),
            *(
                Column(f"i{i:02d}", "integer", f"IPS-25 item {i}", minimum=1, maximum=5, optional_in_header=True,
                       english=f"item_{i:02d}")
                for i in range(1, 26)
            ),
        ),
        row_rules=(
            RowRule(
                "total_is_sum_of_items",
                "(" + " OR ".join(f"i{i:02d} IS NULL" for i in range(1, 26)) + ") OR total_poang = "
                + " + ".join(f"i{i:02d}" for i in range(1, 26)),
                ("total_poang",),
                "total_poang equals the sum of the items when all 25 are given",
            ),
        ),
    ),
    Feed(
        name="fk_utbetalningar",
        agency="fk",
        description="Försäkringskassan payments per person, month and benefit",
        kind="monthly",
        schedule=MONTHLY_SCHEDULE,
        key=("person_id", "manad", "formankod"),
        columns=(
            _person(),
            _month(),
            Column(
                "formankod",
                "code",
                "Benefit: SJP sjukpenning, RHP rehabiliteringspenning, AKE aktivitetsersättning, SJE sjukersättning, "
                "AKS aktivitetsstöd, UTV utvecklingsersättning, ETB etableringsersättning",
                required=True,
                codes=("SJP", "RHP", "AKE", "SJE", "AKS", "UTV", "ETB"), english="benefit_code"
            ),
            Column("omfattning", "integer", "Extent in percent", required=True, codes=("25", "50", "75", "100"), english="extent_pct"),
            Column("dagar", "integer", "Days paid in the month", required=True, minimum=0, maximum=31, english="days_paid"),
            _sek("belopp_sek", "Gross amount paid, SEK", required=True, english="gross_sek"),
            _sek("skatt_sek", "Tax withheld, SEK", english="tax_withheld_sek"),
        ),
    ),
    Feed(
        name="af_status",
        agency="af",
        description="Arbetsförmedlingen registration, programme and wage subsidy per person and month",
        kind="monthly",
        schedule=MONTHLY_SCHEDULE,
        key=("person_id", "manad"),
        columns=(
            _person(),
            _month(),
            Column("inskriven", "code", "Registered at Arbetsförmedlingen", required=True, codes=("J", "N"), english="is_registered"),
            Column("sokandekategori", "text", "Job-seeker category code", english="jobseeker_category"),
            Column("program", "text", "Labour market programme", english="programme"),
            Column(
                "lonestod_typ",
                "code",
                "Wage subsidy type",
                codes=("LONEBIDRAG", "NYSTARTSJOBB", "INTRODUKTIONSJOBB", "ANNAT"), english="wage_subsidy_type"
            ),
            _sek("lonestod_sek", "Wage subsidy paid to the employer, SEK", english="wage_subsidy_sek"),
        ),
    ),
    Feed(
        name="kommun_bistand",
        agency="kommun",
        description="Ekonomiskt bistånd (försörjningsstöd) per person and month",
        kind="monthly",
        schedule=MONTHLY_SCHEDULE,
        key=("person_id", "manad"),
        columns=(
            _person(),
            _month(),
            Column("kommun", "text", "Paying kommun, 4-digit SCB code", required=True, pattern=KOMMUN_PATTERN, english="kommun_code"),
            _sek("belopp_sek", "Amount paid, SEK", required=True, english="assistance_sek"),
            Column("forsorjningshinder", "text", "Main obstacle to self-support", english="support_obstacle"),
        ),
    ),
    Feed(
        name="kommun_boendestod",
        agency="kommun",
        description="Boendestöd hours delivered per person and month (socialpsykiatri)",
        kind="monthly",
        schedule=MONTHLY_SCHEDULE,
        key=("person_id", "manad"),
        columns=(
            _person(),
            _month(),
            Column("kommun", "text", "Kommun, 4-digit SCB code", required=True, pattern=KOMMUN_PATTERN, english="kommun_code"),
            Column("timmar", "decimal", "Hours of boendestöd delivered", required=True, minimum=0, maximum=744, english="hours"),
        ),
    ),
    Feed(
        name="skv_lon",
        agency="skv",
        description="Salary per person, month and employer sector (arbetsgivardeklaration på individnivå)",
        kind="monthly",
        schedule=MONTHLY_SCHEDULE,
        key=("person_id", "manad", "arbetsgivare_sektor"),
        columns=(
            _person(),
            _month(),
            Column(
                "arbetsgivare_sektor",
                "code",
                "Employer sector",
                required=True,
                codes=("PRIVAT", "KOMMUN", "REGION", "STAT", "IDEELL"), english="employer_sector"
            ),
            _sek("bruttolon_sek", "Gross salary, SEK", required=True, english="gross_salary_sek"),
            _sek("skatteavdrag_sek", "Tax deducted, SEK", english="tax_deducted_sek"),
        ),
    ),
    Feed(
        name="csn_studiestod",
        agency="csn",
        description="Study support (studiemedel) per person and month",
        kind="monthly",
        schedule=MONTHLY_SCHEDULE,
        key=("person_id", "manad"),
        columns=(
            _person(),
            _month(),
            Column(
                "studieform",
                "code",
                "Form of study",
                required=True,
                codes=("KOMVUX", "FOLKHOGSKOLA", "HOGSKOLA", "SFI", "ANNAN"), english="study_form"
            ),
            _sek("bidrag_sek", "Grant, SEK", english="grant_sek"),
            _sek("lan_sek", "Loan, SEK", english="loan_sek"),
        ),
    ),
    Feed(
        name="region_vard",
        agency="region",
        description="Psychiatric care contacts per person and month",
        kind="monthly",
        schedule=MONTHLY_SCHEDULE,
        key=("person_id", "manad"),
        columns=(
            _person(),
            _month(),
            Column("oppenvardsbesok", "integer", "Outpatient visits", required=True, minimum=0, maximum=100, english="outpatient_visits"),
            Column("slutenvardsdagar", "integer", "Inpatient days", required=True, minimum=0, maximum=31, english="inpatient_days"),
        ),
    ),
)

FEEDS: dict[str, Feed] = {f.name: f for f in FEEDS_LIST}

AGENCY_NAMES: dict[str, str] = {
    "forbund": "Samordningsförbund (insatsregister)",
    "fk": "Försäkringskassan",
    "af": "Arbetsförmedlingen",
    "kommun": "Kommun (socialtjänst)",
    "skv": "Skatteverket",
    "csn": "CSN",
    "region": "Region (psykiatri)",
}


def get_feed(name: str) -> Feed:
    try:
        return FEEDS[name]
    except KeyError:
        raise KeyError(f"unknown feed {name!r}; known feeds: {', '.join(FEEDS)}") from None
