"""Failures reach people: the notifier every Utfall task calls when it fails, and the failure
that carries the alert Utfall composed for it.

The message is composed by utfall.orchestration.alert_text and sent through the SMTP provider's SmtpNotifier
with the Airflow connection `smtp_default` (or [email] email_conn_id).
"""

from __future__ import annotations

import logging

from airflow.providers.smtp.notifications.smtp import SmtpNotifier
from airflow.sdk import BaseNotifier, Variable
from airflow.sdk.exceptions import AirflowFailException

from utfall.orchestration.alert_text import RECIPIENTS_VARIABLE, Alert, parse_recipients, task_failure_alert, topic_variable

log = logging.getLogger("utfall.orchestration.alerting")


class AlertedFailure(AirflowFailException):
    """A failure Utfall has composed the alert for (a quarantine, a failed gate, an overdue feed).

    Fails the task without retry (the same input fails again); the message stays the task
    log's (engineers' tier), the alert is what the e-mail says.
    """

    def __init__(self, message: str, alert: Alert):
        super().__init__(message)
        self.alert = alert


class FailureNotifier(BaseNotifier):
    """on_failure_callback: e-mail the task's alert to the recipients in the Variables
    `utfall_alert_to` (every alert) and `utfall_alert_to_<topic>` (a feed's, or the gate's)."""

    def __init__(self, topic: str | None = None, smtp_conn_id: str | None = None):
        super().__init__()
        self.topic = topic
        self.smtp_conn_id = smtp_conn_id

    def recipients(self) -> list[str]:
        names = [RECIPIENTS_VARIABLE] + ([topic_variable(self.topic)] if self.topic else [])
        return parse_recipients(Variable.get(name, default=None) for name in names)

    def notify(self, context) -> None:
        alert = alert_for(context)
        to = self.recipients()
        if not to:
            log.warning("no recipients for this alert (Airflow Variables %s%s): %s", RECIPIENTS_VARIABLE,
                        f", {topic_variable(self.topic)}" if self.topic else "", alert.safe_subject)
            return
        # A fresh SmtpNotifier per alert: it renders its fields in place. notify(), not __call__:
        # the text is not a Jinja template (a delivery's file name could hold braces).
        SmtpNotifier(to=to, subject=alert.safe_subject, html_content=alert.html,
                     smtp_conn_id=self.smtp_conn_id).notify(context)
        log.info("alert sent to %d recipient(s): %s", len(to), alert.safe_subject)


def alert_for(context) -> Alert:
    error = context.get("exception")
    if isinstance(error, AlertedFailure):
        return error.alert
    ti = context.get("ti")
    return task_failure_alert(
        getattr(ti, "dag_id", "?"), getattr(ti, "task_id", "?"), context.get("run_id") or getattr(ti, "run_id", "?"),
        getattr(ti, "try_number", None), error if isinstance(error, BaseException) else None,
        getattr(ti, "log_url", None),
    )
