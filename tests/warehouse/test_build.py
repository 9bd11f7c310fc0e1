"""`utfall build`: dbt over the warehouse; staging shows current loads only, in English."""

from __future__ import annotations

import json

from tests.conftest import deliver, pid, query
from tests.support.samples import FK_ROWS, fk
from utfall.warehouse.dbt_build import build, dbt_target_path
from utfall.ingest.loader import load


def test_build_on_an_empty_warehouse_treats_missing_feeds_as_empty(home, with_dbt_unit_tests):
    result = build(home)
    assert result.success, result.failures
    # every dbt unit test ran in this build, and passed (a build leaves them out unless asked)
    target = dbt_target_path(home)
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    ran = {r["unique_id"]: r["status"] for r in results if r["unique_id"].startswith("unit_test.")}
    defined = json.loads((target / "manifest.json").read_text(encoding="utf-8"))["unit_tests"]
    assert defined and sorted(ran) == sorted(defined) and set(ran.values()) == {"pass"}, ran
    assert query(home, "SELECT count(*) FROM staging.stg_fk__utbetalningar") == [(0,)]
    assert query(home, "SELECT count(*) FROM reference.kommuner WHERE kommun_kod = '0180'") == [(1,)]


def test_staging_reads_the_latest_correction_only_with_english_names(home):
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", fk(*FK_ROWS))
    deliver(home, "af_status", "af_status_202401.csv",
            "person_id;manad;inskriven;sokandekategori;program;lonestod_typ;lonestod_sek\n"
            f"{pid(1)};2024-01;J;11;;;\n{pid(2)};2024-01;N;;;LONEBIDRAG;9000\n")
    load(home)
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", fk(FK_ROWS[0].replace(";20000;", ";21000;")))
    load(home)
    assert build(home).success
    # a build as production runs it tests the data, not the SQL: no dbt unit test ran
    results = json.loads((dbt_target_path(home) / "run_results.json").read_text(encoding="utf-8"))["results"]
    kinds = {r["unique_id"].split(".")[0] for r in results}
    assert "unit_test" not in kinds and {"model", "test"} <= kinds
    assert query(home, "SELECT person_id, month_start::VARCHAR, benefit_code, extent_pct, days_paid, "
                       "gross_sek::INT, tax_withheld_sek::INT FROM staging.stg_fk__utbetalningar") == [
        (pid(1), "2024-01-01", "SJP", 100, 31, 21000, 6000)
    ]
    assert query(home, "SELECT person_id, is_registered, wage_subsidy_sek::INT FROM staging.stg_af__status "
                       "ORDER BY source_line") == [(pid(1), True, None), (pid(2), False, 9000)]


def test_snapshot_staging_takes_the_forbund_from_the_file_name(home):
    deliver(home, "insats_ar", "insats_ar_sf07_20250110.csv",
            "insats_id;ar;budget_sek;kostnad_sek;arsarbetare_coach;mal_andel_arbete;mal_andel_studier;"
            "mal_andel_sysselsattning;mal_deltagare_per_coach\nsf07-ips1;2024;2400000;2310000;3,5;0,2;0,2;0,1;20\n")
    load(home)
    assert build(home).success
    assert query(home, "SELECT forbund_id, extracted_on::VARCHAR, year, coach_fte, cost_sek::INT "
                       "FROM staging.stg_forbund__insats_ar") == [("sf07", "2025-01-10", 2024, 3.5, 2310000)]


def test_build_works_with_only_the_register_delivered(home):
    """A missing feed acts as empty: episodes exist, nothing is followable yet, and no error."""
    deliver(home, "deltagare", "deltagare_sf01_20250110.csv",
            "person_id;forbund_id;insats_id;kodatum;inskrivningsdatum;avslutsdatum;kon;fodelsear;hemkommun;"
            "utbildningsniva;status;avslutsorsak\n"
            f"{pid(1)};sf01;sf01-ips1;2024-01-10;2024-02-01;2024-06-30;K;1990;0180;gymnasium;avslutad;arbete\n")
    load(home)
    result = build(home)
    assert result.success, result.failures
    assert query(home, "SELECT count(*) FROM core.fct_person_months") == [(0,)]
    assert query(home, "SELECT waiting_days, months_in_insats, status_after_exit, months_to_first_work "
                       "FROM core.fct_episodes") == [(22, 5, None, None)]


def test_an_empty_month_counts_as_delivered_for_the_period(home):
    """January and March with rows, February empty (nobody got anything): no gap, the complete
    months run to March. Had February not come at all, they would stop at January."""
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", fk(*FK_ROWS))
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202402.csv", fk())
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202403.csv", fk(FK_ROWS[0].replace("2024-01", "2024-03")))
    assert load(home).exit_code == 0
    assert build(home).success
    assert query(home, "SELECT first_month::VARCHAR, last_month::VARCHAR, last_complete_month::VARCHAR "
                       "FROM intermediate.int_data_period") == [("2024-01-01", "2024-03-01", "2024-03-01")]
