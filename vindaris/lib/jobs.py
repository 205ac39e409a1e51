"""Enqueue background jobs after commit, by name, without ever failing the request.

Apps lower in the dependency chain (goals, work) ask for a reconcile of their organization
without importing the traceability app that implements it. When the broker is down the
enqueue is logged and dropped: the scheduled reconciler heals what the event would have done.
"""

import logging

from django.conf import settings
from django.db import connection, transaction

logger = logging.getLogger(__name__)

RECONCILE_TASK = "traceability.reconcile_organization"


def enqueue(task_name: str, *args: object) -> None:
    """Send `task_name(*args)` once the current transaction commits; log, never raise.

    The same job asked for several times in one transaction is sent once."""
    key = (task_name, args)
    if any(getattr(func, "job_key", None) == key for _, func, _ in connection.run_on_commit):
        return

    def send() -> None:
        from vindaris.celery import app

        try:
            app.send_task(task_name, args=list(args))
        except Exception:  # the request must succeed even when the broker is unreachable
            logger.exception(
                "Could not enqueue %s%r; the reconciler will catch up", task_name, args
            )

    send.job_key = key  # type: ignore[attr-defined]
    if getattr(settings, "JOBS_ENABLED", True):
        transaction.on_commit(send)


def enqueue_reconcile(organization_id: int) -> None:
    enqueue(RECONCILE_TASK, organization_id)
