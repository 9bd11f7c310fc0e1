"""A small report built by hand (two sections, a subsection, the förbund's comments, hidden cells),
for the tests of the renderers."""

from __future__ import annotations

import pandas as pd

from utfall.evaluation.comments import Comments
from utfall.evaluation.report_model import Chart, Report, ReportTable, Section
from utfall.evaluation.suppression import Reason, Suppressed, TableSpec, suppress


T, ALL = "Totalt", "Alla åldrar"
OUTCOME_COUNTS = ["Avslutade", "Arbete", "Studier", "Övrigt"]


# --- the report ------------------------------------------------------------------------------

def outcome_table() -> tuple[pd.DataFrame, TableSpec]:
    """Exits per insats; Studier 3 and Övrigt 4 are small, so secondary cells follow."""
    df = pd.DataFrame(
        {"Avslutade": [20, 15, 35], "Arbete": [8, 6, 14], "Studier": [3, 5, 8], "Övrigt": [9, 4, 13],
         "Stöd före (kr)": [1_234_567.0, 987_654.0, 2_222_221.0]},
        index=pd.Index(["Arbetslivsinriktad", "IPS", T], name="Insats"),
    )
    df["Andel arbete"] = df["Arbete"] / df["Avslutade"]
    spec = TableSpec(
        counts=OUTCOME_COUNTS,
        derived={"Andel arbete": ("Arbete", "Avslutade"), "Stöd före (kr)": ("Avslutade",)},
        total_columns={"Avslutade": ("Arbete", "Studier", "Övrigt")},
        total_rows={T: None},
        additive=[*OUTCOME_COUNTS, "Stöd före (kr)"],
        name="utfall",
    )
    return df, spec


def age_table() -> tuple[pd.DataFrame, TableSpec]:
    df = pd.DataFrame({"Antal": [12, 2, 9, 7, 30]},
                      index=pd.Index(["18–25", "26–33", "34–41", "42–49", ALL], name="Ålder"))
    df["Andel"] = df["Antal"] / 30
    spec = TableSpec(counts=["Antal"], derived={"Andel": ("Antal", (ALL, "Antal"))}, total_rows={ALL: None}, name="alder")
    return df, spec


def fidelity_table() -> tuple[pd.DataFrame, TableSpec]:
    """No counts, positional rows: a table of text and a score."""
    return pd.DataFrame({"Insats": ["IPS"], "Poäng": [102.5], "Nivå": ["God trohet"]}), TableSpec(counts=[], name="ips")


def unsuppressed(frame: pd.DataFrame, spec: TableSpec) -> Suppressed:
    """A `Suppressed` that is not: the raw table, every cell 'shown' (bypasses suppress())."""
    reasons = pd.DataFrame(Reason.SHOWN, index=frame.index, columns=frame.columns, dtype=object)
    return Suppressed(display=frame.astype(object), reasons=reasons, spec=spec, threshold=5)


# The förbund's own comments (evaluation.comments): a heading, a list, emphasis and a link.
COMMENTS = Comments("comments/F01/2025.md", "# Vårt år\n\nÅret gick *över förväntan*, men **kön** växte.\n\n"
                                            "- Fler arbetsgivare i Testbygd\n- Ny coach från hösten\n\n"
                                            "Läs mer i [verksamhetsplanen](https://testbygd.example/plan).\n")


def make_report(leak: bool = False) -> Report:
    o_df, o_spec = outcome_table()
    a_df, a_spec = age_table()
    f_df, f_spec = fidelity_table()
    outcome = unsuppressed(o_df, o_spec) if leak else suppress(o_df, o_spec, threshold=5)
    t_out = ReportTable("utfall", "Utfall vid avslut", outcome, note="Andel arbete: av de avslutade.",
                        percent_columns=("Andel arbete",), sek_columns=("Stöd före (kr)",))
    t_age = ReportTable("alder", "Deltagare efter ålder", suppress(a_df, a_spec, threshold=5), percent_columns=("Andel",))
    t_ips = ReportTable("ips", "IPS-25 trohet", suppress(f_df, f_spec, threshold=5))
    # a ratio: one decimal also where a month's value is whole
    load = pd.DataFrame({"Aktiva": [40, 37], "Deltagare per årsarbetare": [20.0, 18.5]},
                        index=pd.Index(["jan 2025", "feb 2025"], name="Månad"))
    t_load = ReportTable("ips_belastning", "IPS: deltagare per årsarbetare coach",
                         suppress(load, TableSpec(counts=["Aktiva"], derived={"Deltagare per årsarbetare": ("Aktiva",)},
                                                  name="belastning"), threshold=5),
                         decimal_columns=("Deltagare per årsarbetare",))
    c_out = Chart("Utfall vid avslut per insats", "stacked_bar", t_out,
                  {"Arbete": "Arbete", "Studier": "Studier", "Övrigt": "Övrigt"}, y_label="Antal personer",
                  alt_text="Staplar per insats: hur många som gick till arbete, studier och övrigt vid avslut.")
    c_age = Chart("Andel deltagare per åldersgrupp", "bar", t_age, {"Andel": "Andel"}, y_label="Andel", percent=True)
    return Report(
        forbund_id="F01", forbund_name="Samordningsförbundet Testbygd", year=2025, gate_run_id="gate-run-42",
        sections=[
            Section("sammanfattning", "Sammanfattning", ["Året i korthet."], [t_out], [c_out]),
            Section("ips", "IPS – Individanpassat stöd", ["Om insatsen."],
                    subsections=[Section("deltagare", "Deltagare", [], [t_age, t_load], [c_age])]),
            Section("forbundets_kommentarer", "Förbundets kommentarer", ["Förbundet har själv skrivit texten."],
                    comments=COMMENTS),
            Section("metod", "Metod och datakvalitet", ["Källor: Försäkringskassan och Arbetsförmedlingen."], [t_ips]),
        ],
        generated_at="2026-01-15T08:00:00Z", software_version="0.1.0", suppression_threshold=5,
    )
