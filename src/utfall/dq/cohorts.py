"""Which exit cohort each follow-up in the evaluation of year Y reads (domain brief §4).

The evaluation of Y holds what is known at 31 December Y. An outcome N months after exit is
known by then for every exit of a year only if that year's December + N months is at the
latest December Y: so the outcome at exit is read for the exits of Y (inside the exit year, so
a December exit is not followable at exit: its January lies after the cut-off), 6 and 12 months
after for the exits of Y − 1, 24 months after for Y − 2. The socioeconomic analysis is the 12-month
cohort. The same years are what the quality gate checks and what is published
(`cohort_years_back` in expectations/evaluation/mart_outcomes_year.json).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FollowUp:
    suffix: str  # mart_outcomes_year's followable_<suffix> and its outcome column
    months: int  # months after the exit month
    years_back: int  # the cohort read: exits in Y − years_back
    within_exit_year: bool = False  # read only inside the exit year (fct_episodes: the outcome at exit)

    def cohort(self, year: int) -> int:
        return year - self.years_back

    def followable_in(self, cohort: int) -> int:
        """The year by whose end the cohort can be followed this far (its December + months)."""
        return cohort if self.within_exit_year else cohort + (self.months + 11) // 12


# December's exits are not followable at exit: their month after lies after the cut-off.
AT_EXIT = FollowUp("after_exit", 1, 0, within_exit_year=True)
SIX_MONTHS = FollowUp("6m", 6, 1)
TWELVE_MONTHS = FollowUp("12m", 12, 1)
TWENTY_FOUR_MONTHS = FollowUp("24m", 24, 2)
FOLLOW_UPS = (AT_EXIT, SIX_MONTHS, TWELVE_MONTHS, TWENTY_FOUR_MONTHS)
# The socioeconomic analysis and the before/after comparison need months 1–12 after exit.
TWELVE_MONTH_COHORT = TWELVE_MONTHS
# The oldest exit cohort the evaluation of a year reads (its months are what the gate's
# completeness level expects delivered).
OLDEST_COHORT_YEARS_BACK = max(f.years_back for f in FOLLOW_UPS)


def cohort_label(cohort: int) -> str:
    return f"avslutade {cohort}"


def why_not_followable(follow_up: FollowUp, cohort: int, year: int) -> str:
    """Why a cohort none of whose follow-up months is in the data cannot be followed, for prose:
    not yet (the months lie after the evaluation year), or the months are missing."""
    due = follow_up.followable_in(cohort)
    return f"det kan göras {due}" if due > year else "månaderna saknas i levererade data"


def not_yet_followable(follow_up: FollowUp, cohort: int, year: int) -> str:
    """What a table shows instead of 0 for such a cohort."""
    due = follow_up.followable_in(cohort)
    return f"kan följas upp först {due}" if due > year else "kan inte följas: månaderna saknas i data"
