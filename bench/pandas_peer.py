"""The peer for comparison (issue 6): `mart_outcomes_year`'s 12-month follow-up written in
pandas, straight from the delivered CSV files, the way an analyst without the warehouse
would write it — read every file, merge, group.

It computes, per förbund × insats × exit year, `ended`, `followable_12m` and
`self_supporting_12m` with the warehouse's rules (domain brief §4): status 12 months after
the exit month; work = salary ≥ the year's threshold without lönestöd, subsidised work =
salary with lönestöd, studies = studiemedel or an AF programme that is studies (seed
af_programmes); egen försörjning = one of them and none of ohälsa, arbetsmarknadsstöd or
ekonomiskt bistånd. Felregistrering is no participation; avliden is not followed after exit. A month is followable up to the earliest
last month of the feeds it reads (the generated data have no gaps). tests/test_bench.py
checks it gives the mart's figures.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from utfall.ingest.loader import delivered_name  # archived files carry their load id in front

KEYS = ["forbund_id", "insats_id", "exit_year"]


def read_feed(folder: Path, feed: str, columns: list[str]) -> pd.DataFrame:
    files = sorted(p for p in (folder / feed).glob("*.csv") if delivered_name(p).startswith(feed + "_"))
    return pd.concat((pd.read_csv(f, sep=";", usecols=columns, dtype={"person_id": str, "manad": str})
                      for f in files), ignore_index=True)


def latest_register(folder: Path) -> pd.DataFrame:
    """Each förbund's newest deltagare snapshot (deltagare_<förbund>_<yyyymmdd>.csv)."""
    newest: dict[str, Path] = {}
    for path in (folder / "deltagare").glob("*.csv"):
        _, forbund, extracted = Path(delivered_name(path)).stem.split("_")
        if forbund not in newest or extracted > Path(delivered_name(newest[forbund])).stem.split("_")[2]:
            newest[forbund] = path
    return pd.concat((pd.read_csv(p, sep=";", dtype=str) for p in newest.values()), ignore_index=True)


def outcomes_12m(folder: Path, seeds: Path) -> pd.DataFrame:
    """ended, followable_12m, self_supporting_12m per förbund × insats × exit year."""
    register = latest_register(folder)
    # who counts: felregistrering is no participation; avliden is censored at exit
    ended = register[(register["status"] == "avslutad") & (register["avslutsorsak"] != "felregistrering")].copy()
    exit_month = pd.to_datetime(ended["avslutsdatum"]).dt.to_period("M")
    ended["exit_year"] = exit_month.dt.year
    ended["manad"] = (exit_month + 12).astype(str)

    fk = read_feed(folder, "fk_utbetalningar", ["person_id", "manad", "formankod", "belopp_sek"])
    last_months = [fk["manad"].max()]
    codes = pd.read_csv(seeds / "benefit_codes.csv")[["benefit_code", "support_kind"]]
    fk = fk.merge(codes, left_on="formankod", right_on="benefit_code")
    fk = fk.pivot_table(index=["person_id", "manad"], columns="support_kind", values="belopp_sek",
                        aggfunc="sum", fill_value=0).reset_index()
    salary = read_feed(folder, "skv_lon", ["person_id", "manad", "bruttolon_sek"])
    last_months.append(salary["manad"].max())
    salary = salary.groupby(["person_id", "manad"], as_index=False)["bruttolon_sek"].sum()
    af = read_feed(folder, "af_status", ["person_id", "manad", "program", "lonestod_typ", "lonestod_sek"])
    last_months.append(af["manad"].max())
    af["has_wage_subsidy"] = af["lonestod_typ"].notna() | (af["lonestod_sek"].fillna(0) > 0)
    programmes = pd.read_csv(seeds / "af_programmes.csv")
    af["in_study_programme"] = af["program"].isin(programmes.loc[programmes["status"] == "studier", "programme"])
    af = af.groupby(["person_id", "manad"], as_index=False)[["has_wage_subsidy", "in_study_programme"]].any()
    csn = read_feed(folder, "csn_studiestod", ["person_id", "manad", "bidrag_sek", "lan_sek"])
    last_months.append(csn["manad"].max())
    csn["studiemedel"] = csn["bidrag_sek"].fillna(0) + csn["lan_sek"].fillna(0)
    csn = csn.groupby(["person_id", "manad"], as_index=False)["studiemedel"].sum()
    bistand = read_feed(folder, "kommun_bistand", ["person_id", "manad", "belopp_sek"])
    last_months.append(bistand["manad"].max())
    bistand = bistand.groupby(["person_id", "manad"], as_index=False)["belopp_sek"].sum()
    bistand = bistand.rename(columns={"belopp_sek": "bistand_sek"})

    months = ended[["person_id", "manad"]].drop_duplicates()
    for frame in (fk, salary, af, csn, bistand):
        months = months.merge(frame, on=["person_id", "manad"], how="left")
    for column in ("ohalsa", "arbetsmarknadsstod"):
        if column not in months:
            months[column] = 0
    months = months.fillna({"ohalsa": 0, "arbetsmarknadsstod": 0, "bruttolon_sek": 0, "studiemedel": 0,
                            "bistand_sek": 0, "has_wage_subsidy": False, "in_study_programme": False})
    thresholds = pd.read_csv(seeds / "yearly_parameters.csv")[["year", "salary_threshold_month_sek"]]
    months["year"] = months["manad"].str[:4].astype(int)
    months = months.merge(thresholds, on="year", how="left")
    subsidy = months["has_wage_subsidy"].astype(bool)
    work = (months["bruttolon_sek"] >= months["salary_threshold_month_sek"]) & ~subsidy
    subsidised = (months["bruttolon_sek"] > 0) & subsidy
    studies = (months["studiemedel"] > 0) | months["in_study_programme"].astype(bool)
    support = (months["ohalsa"] > 0) | (months["arbetsmarknadsstod"] > 0) | (months["bistand_sek"] > 0)
    months["self_supporting"] = (work | subsidised | studies) & ~support

    last_month = min(last_months)  # the earliest last month of the feeds used
    ended = ended.merge(months[["person_id", "manad", "self_supporting"]], on=["person_id", "manad"], how="left")
    ended["followable_12m"] = (ended["manad"] <= last_month) & (ended["avslutsorsak"] != "avliden")
    ended["self_supporting_12m"] = ended["followable_12m"] & ended["self_supporting"].fillna(False).astype(bool)
    out = ended.groupby(KEYS, as_index=False).agg(
        ended=("person_id", "size"), followable_12m=("followable_12m", "sum"),
        self_supporting_12m=("self_supporting_12m", "sum"))
    return out.sort_values(KEYS, ignore_index=True)
