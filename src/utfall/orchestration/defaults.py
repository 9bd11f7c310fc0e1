"""The task defaults every Utfall DAG uses (owner, retries, timeouts, the failure alert), defined once."""

from __future__ import annotations

from datetime import timedelta

import pendulum

from utfall.orchestration.alert_text import GATE_TOPIC
from utfall.orchestration.alerting import FailureNotifier

# Every task gets TASK_TIMEOUT unless its DAG says otherwise: a feed's load (national scale: the
# biggest month takes minutes) and the gate's checks, with room to wait for the writer pool.
TASK_TIMEOUT = timedelta(hours=1)
# A whole dbt build or every förbund's evaluation (national scale today: about 5 minutes each).
LONG_TASK_TIMEOUT = timedelta(hours=3)
RETRY_DELAY = timedelta(minutes=5)

# What every Utfall DAG shares: a past start with no catch-up (a schedule runs from now on; a
# missed run is triggered by hand with its params) and one active run at a time (DuckDB has one writer).
DAG_ARGS = {"start_date": pendulum.datetime(2024, 1, 1, tz="UTC"), "catchup": False, "max_active_runs": 1}

__all__ = ["DAG_ARGS", "GATE_TOPIC", "LONG_TASK_TIMEOUT", "RETRY_DELAY", "TASK_TIMEOUT", "default_args",
           "failure_alert"]


def failure_alert(topic: str | None = None) -> list[FailureNotifier]:
    """on_failure_callback of a task whose alert goes to a topic's recipients too (a feed, the gate)."""
    return [FailureNotifier(topic)]


def default_args(retries: int, topic: str | None = None, timeout: timedelta = TASK_TIMEOUT) -> dict:
    """default_args of every Utfall DAG: owner, retries, an execution timeout, the failure alert."""
    return {
        "owner": "data-engineering",
        "retries": retries,
        "retry_delay": RETRY_DELAY,
        "execution_timeout": timeout,
        "on_failure_callback": failure_alert(topic),
    }
