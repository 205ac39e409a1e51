"""Jobs asked for by writes: durable, and never waited for.

Apps lower in the dependency chain (goals, work) ask for a reconcile of their organization
without importing the traceability app that implements it. The request is a row
(tenancy.JobRequest) written in the write's own transaction (an outbox): it commits or rolls
back with the change, costs one small insert, and never touches the broker, so a slow or dead
broker cannot slow or fail a write, and a job asked for while the broker is away is done once it
is back. tenancy.tasks.dispatch_jobs, every few seconds, hands the rows to the broker, one job per
organization and task however many writes asked for it.
"""

from django.conf import settings
from django.db import connection, transaction

RECONCILE_TASK = "traceability.reconcile_organization"


def enqueue(task_name: str, organization_id: int) -> None:
    """Ask for `task_name(organization_id)`, in the current transaction (it is done once the
    transaction commits, not at all if it rolls back).

    The same job asked for several times in one transaction is written once: a marker among
    the transaction's on-commit callbacks says the row is there (Django drops the markers of a
    savepoint that rolls back, with its row)."""
    if not getattr(settings, "JOBS_ENABLED", True):
        return
    key = (task_name, organization_id)
    # Each entry is (savepoint ids, callback, robust).
    if any(getattr(entry[1], "job_key", None) == key for entry in connection.run_on_commit):
        return
    from vindaris.tenancy.models import JobRequest

    JobRequest.objects.create(organization_id=organization_id, task=task_name)

    def written() -> None:
        """Nothing to do on commit: the row is the job."""

    written.job_key = key  # type: ignore[attr-defined]  # a marker on the callback, found among the transaction's on-commit callbacks
    transaction.on_commit(written)


def enqueue_reconcile(organization_id: int) -> None:
    enqueue(RECONCILE_TASK, organization_id)
