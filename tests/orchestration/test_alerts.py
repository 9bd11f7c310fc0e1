"""Failures reach people: real DAG runs (dag.test) e-mail a local SMTP sink through Airflow's
notifier and the SMTP provider; every task has a timeout."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

import pytest

from tests.conftest import VENV_BIN, deliver, pid, query
from tests.support.airflow_runs import task_states
from tests.support.processes import free_port
from tests.support.samples import DELTAGARE_HEADER, DELTAGARE_ROWS, FK_ROWS, GOOD_FK, GOOD_REGION, fk
from utfall.orchestration.alert_text import parse_recipients, scrub
from utfall.ingest.contracts import FEEDS
from utfall.ingest.loader import load

HEX64 = re.compile(r"[0-9a-f]{64}")
# A valid personnummer (1985-03-12, Luhn digit checked by hand in tests/ingest/test_loader.py).
PERSONNUMMER = "198503121231"


@dataclass
class Sink:
    port: int
    messages: list = field(default_factory=list)  # (envelope recipients, parsed message)

    def one(self):
        assert len(self.messages) == 1, [m["Subject"] for _, m in self.messages]
        return self.messages[0]


class _Collect:
    def __init__(self, sink: Sink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        self.sink.messages.append((sorted(envelope.rcpt_tos),
                                   message_from_bytes(envelope.original_content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp_sink(monkeypatch):
    """An SMTP server on a loopback port, and Airflow's smtp_default connection pointing at it."""
    from aiosmtpd.controller import Controller

    port = free_port()
    sink = Sink(port)
    controller = Controller(_Collect(sink), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT",
                       f"smtp://127.0.0.1:{port}?disable_ssl=true&disable_tls=true"
                       "&from_email=utfall%40example.org&retry_limit=0&timeout=10")
    monkeypatch.setenv("AIRFLOW_VAR_UTFALL_ALERT_TO", "oncall@example.org")
    try:
        yield sink
    finally:
        controller.stop()


def body(message) -> str:
    return message.get_body(preferencelist=("html", "plain")).get_content()


def assert_no_person_data(text: str) -> None:
    assert not HEX64.search(text), "a person_id-shaped value reached an alert"
    for n in range(1, 12):
        assert pid(n) not in text
    assert PERSONNUMMER[2:] not in text.replace("-", "")


def test_quarantine_emails_feed_file_rules_and_lines_but_no_value(airflow_db, dagbag, home, smtp_sink,
                                                                  monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_UTFALL_ALERT_TO_FK_UTBETALNINGAR", "fk-contact@example.org; oncall@example.org")
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    # February, line 3: dagar 'tjugo' is no number; March, line 2: a personnummer for a person_id
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202402.csv", fk(
        FK_ROWS[0].replace("2024-01", "2024-02"), f"{pid(9)};2024-02;SJP;100;tjugo;100;0"))
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202403.csv", fk(f"{PERSONNUMMER};2024-03;SJP;100;31;100;0"))
    run = dagbag.dags["ingest_fk_utbetalningar"].test()
    assert str(run.state) == "failed" and task_states(run) == {"load": ("failed", 1)}

    recipients, message = smtp_sink.one()
    # the feed's contact and the on-duty address, each once
    assert recipients == ["fk-contact@example.org", "oncall@example.org"]
    assert message["From"] == "utfall@example.org"
    assert message["Subject"] == "[Utfall] fk_utbetalningar: 2 file(s) quarantined"
    text = body(message)
    reason_file = home.quarantine / "fk_utbetalningar" / "fk_utbetalningar_202402.csv.reason.txt"
    assert "Feed: fk_utbetalningar (Försäkringskassan)" in text
    assert "2 of 3 file(s) in this run were refused" in text
    assert f"Reason file: {reason_file}" in text
    february = text.index("File: fk_utbetalningar_202402.csv")
    march = text.index("File: fk_utbetalningar_202403.csv")
    assert text.index("line 3, column dagar: rule type", february) < march
    assert "Rules broken: personal_identity_number (1 violation(s) in all)" in text[march:]
    assert "line 2, column person_id: rule personal_identity_number" in text[march:]
    # the reason file (engineers' tier) has the values; the e-mail has none of them
    assert "tjugo" in reason_file.read_text(encoding="utf-8")
    assert "tjugo" not in text
    assert_no_person_data(text)


def test_quarantine_email_lists_the_files_left_in_the_inbox_with_their_names_redacted(airflow_db, dagbag, home,
                                                                                      smtp_sink):
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202401.csv", GOOD_FK)
    deliver(home, "fk_utbetalningar", "fk_utbetalningar_202403.csv", fk(f"{PERSONNUMMER};2024-03;SJP;100;31;100;0"))
    # refused for its name (a personnummer in it), and immutable: recorded but never moved out
    stuck = deliver(home, "fk_utbetalningar", f"fk_utbetalningar_202402_{PERSONNUMMER}.csv",
                    fk(FK_ROWS[0].replace("2024-01", "2024-02")))
    subprocess.run(["chattr", "+i", str(stuck)], check=True)
    try:
        run = dagbag.dags["ingest_fk_utbetalningar"].test()
    finally:
        subprocess.run(["chattr", "-i", str(stuck)], check=True)
    assert str(run.state) == "failed" and task_states(run) == {"load": ("failed", 1)}
    assert stuck.exists()

    _, message = smtp_sink.one()
    assert message["Subject"] == "[Utfall] fk_utbetalningar: 1 file(s) quarantined, 1 left in the inbox"
    text = body(message)
    assert "1 of 2 file(s) in this run were refused" in text
    assert "File: fk_utbetalningar_202403.csv" in text
    listed = text[text.index("Left in the inbox, not handled (1):"):]
    assert ("\n  fk_utbetalningar_202402_XXXXXXXXXXXX.csv: recorded in the ledger but could not be moved to "
            f"{home.quarantine / 'fk_utbetalningar'} (PermissionError); left in the inbox") in listed
    assert listed.index("fk_utbetalningar_202402_") < listed.index("Values are never repeated")
    assert_no_person_data(text)


def test_failed_gate_emails_the_blocking_checks_and_the_report(airflow_db, dagbag, home, smtp_sink):
    from airflow.models import Variable

    deliver(home, "region_vard", "region_vard_202401.csv", GOOD_REGION)
    load(home)
    Variable.set("utfall_alert_to_gate", "gate-owner@example.org")  # in the metadata DB, as the UI would
    try:
        run = dagbag.dags["annual_evaluation"].test(run_conf={"year": 2023})
    finally:
        Variable.delete("utfall_alert_to_gate")
    states = task_states(run)
    assert states["quality_gate.run_checks"] == ("success", 1)
    assert states["quality_gate.verdict"] == ("failed", 1)
    assert states["evaluate"][0] == "upstream_failed"

    [(run_id, report)] = query(home, "SELECT run_id, report_path FROM dq.runs")
    blocking = [r[0] for r in query(
        home, "SELECT check_id FROM dq.results WHERE severity = 'blocking' AND status IN ('fail', 'error') "
              "AND waiver_id IS NULL ORDER BY check_id")]
    recipients, message = smtp_sink.one()
    assert recipients == ["gate-owner@example.org", "oncall@example.org"]
    assert message["Subject"] == (f"[Utfall] quality gate 2023 (every förbund) not passed: "
                                  f"{len(blocking)} blocking check(s)")
    text = body(message)
    assert f"Gate run: {run_id}" in text and f"Report: {report}" in text
    # the one month delivered leaves every other month of fk_utbetalningar missing
    assert "completeness_months_fk_utbetalningar" in blocking
    for check in blocking:
        assert f"  {check} " in text
    assert_no_person_data(text)


def test_overdue_feed_fails_its_freshness_task_and_emails_its_recipients(airflow_db, dagbag, home, smtp_sink,
                                                                         monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_UTFALL_ALERT_TO_REGION_VARD", "region@example.org")
    deliver(home, "region_vard", "region_vard_202411.csv", GOOD_REGION.replace("2024-01", "2024-11"))
    deliver(home, "deltagare", "deltagare_sf01_20241201.csv", "\n".join([DELTAGARE_HEADER, *DELTAGARE_ROWS]) + "\n")
    load(home)
    # November is loaded: December is due by 20 January. On 21 January it is one day late; the
    # deltagare snapshot of 1 December is due again by 30 January (60 days): on time.
    run = dagbag.dags["feed_freshness"].test(logical_date=datetime(2025, 1, 21, 7, tzinfo=timezone.utc))
    states = task_states(run)
    assert states["region_vard"] == ("failed", 1)
    assert {task for task, (state, _) in states.items() if state != "success"} == {"region_vard"}
    recipients, message = smtp_sink.one()
    assert recipients == ["oncall@example.org", "region@example.org"]
    assert message["Subject"] == "[Utfall] region_vard: delivery overdue (2024-12 due by 2025-01-20)"
    text = body(message)
    assert "Latest delivery loaded: 2024-11" in text and "Overdue by 1 day(s)" in text
    assert_no_person_data(text)


def test_a_task_over_its_timeout_is_stopped_and_alerts(airflow_db, dagbag, home, smtp_sink, monkeypatch):
    deliver(home, "region_vard", "region_vard_202401.csv", GOOD_REGION)
    home.warehouse.parent.mkdir(parents=True, exist_ok=True)
    # Another process holds the warehouse, so the load waits for it, past the task's timeout.
    holder = subprocess.Popen(
        [str(VENV_BIN / "python"), "-c",
         f"import duckdb, time; c = duckdb.connect({str(home.warehouse)!r}); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        task = dagbag.dags["ingest_region_vard"].get_task("load")
        monkeypatch.setattr(task, "execution_timeout", timedelta(seconds=3))
        monkeypatch.setattr(task, "retries", 0)
        run = dagbag.dags["ingest_region_vard"].test()
    finally:
        holder.kill()
        holder.wait()
    assert task_states(run) == {"load": ("failed", 1)}
    recipients, message = smtp_sink.one()
    assert recipients == ["oncall@example.org"]
    assert message["Subject"] == "[Utfall] ingest_region_vard.load failed"
    text = body(message)
    assert "DAG: ingest_region_vard" in text and "Task: load" in text and f"Run: {run.run_id}" in text
    assert "Error: AirflowTaskTimeout" in text
    # stopped while waiting, before anything was written: the file waits in the inbox for the next run
    assert (home.inbox / "region_vard" / "region_vard_202401.csv").exists()
    assert not home.archive.exists() and not home.quarantine.exists()


def test_every_task_has_a_timeout_and_the_failure_alert(dagbag):
    from utfall.orchestration.alerting import FailureNotifier

    assert {"build_warehouse", "annual_evaluation", "feed_freshness"} | {f"ingest_{f}" for f in FEEDS} <= set(
        dagbag.dag_ids)
    for dag in dagbag.dags.values():
        for task in dag.tasks:
            assert task.execution_timeout is not None and task.execution_timeout.total_seconds() > 0, task
            assert [type(c) for c in task.on_failure_callback] == [FailureNotifier], task
    assert dagbag.dags["build_warehouse"].get_task("build_and_publish").execution_timeout.total_seconds() == 3 * 3600
    assert dagbag.dags["ingest_skv_lon"].get_task("load").execution_timeout.total_seconds() == 3600
    assert dagbag.dags["ingest_skv_lon"].get_task("load").on_failure_callback[0].topic == "skv_lon"
    assert dagbag.dags["annual_evaluation"].get_task("quality_gate.verdict").on_failure_callback[0].topic == "gate"
    assert dagbag.dags["feed_freshness"].get_task("csn_studiestod").on_failure_callback[0].topic == "csn_studiestod"


def test_scrub_masks_person_ids_and_identity_numbers():
    # valid numbers, in any written form, go as pii.redact writes them; a near miss (wrong check
    # digit) is masked too, since it is still too close
    text = (f"file x_{pid(1)}.csv, 198503121231 and 850312–1231 on 2024-01-31 (run 20240131T0700), "
            "near miss 198503121232")
    assert scrub(text) == ("file x_[person_id removed].csv, XXXXXXXXXXXX and XXXXXX-XXXX on 2024-01-31 "
                           "(run 20240131T0700), near miss 1985********")


def test_recipients_are_split_deduplicated_and_checked():
    assert parse_recipients(["a@x.se, b@x.se", None, "b@x.se;c@x.se"]) == ["a@x.se", "b@x.se", "c@x.se"]
    with pytest.raises(ValueError, match="'oncall' is no e-mail address"):
        parse_recipients(["oncall"])
