"""The language check finds what a board member must not meet, and only outside the method section."""

from __future__ import annotations

from tests.support.report_language import language_problems

PAGE = """<html><head><style>.x_y {{ }}</style></head><body>
<header><p>{header}</p></header>
<section class="level-1" id="avsnitt-sammanfattning"><p>{summary}</p></section>
<section class="level-1" id="avsnitt-metod"><p>Källa: fk_utbetalningar, mart_outcomes_year, körning 20261207T230837Z-424749.</p>
<section class="level-2" id="definitioner"><p>insats_ar</p></section></section>
<section class="level-1" id="avsnitt-efter"><p>{after}</p></section>
</body></html>"""


def test_clean_text_passes_and_the_method_section_may_name_sources():
    html = PAGE.format(header="Utvärdering 2025", summary="Förbundet hade 1 insats och 12 avslut som kan följas upp.",
                       after="Färre än 5 stod i kö.")
    assert language_problems(html) == []


def test_each_problem_is_found_where_readers_meet_it():
    html = PAGE.format(header="kvalitetskontroll 20261207T230837Z-424749",
                       summary="Förbundet hade 1 insatser; målen står i insats_ar och mart_flows_month. "
                               "Följbara avslut: 12, och – var i egen försörjning.",
                       after="Vid årets slut stod &lt;5 i kö.")
    found = "\n".join(language_problems(html))
    for what in ("a run id", "a table name", "snake_case", "singular count", "a dash where a figure",
                 "'följbara'", "'<5' in running text"):
        assert what in found, what
    # after the method section ends, text is checked again
    assert "stod <5 i kö" in found
