"""The dispatcher: hands the jobs writes asked for (tenancy.JobRequest) to the broker."""

from django.db import OperationalError, transaction

from vindaris.celery import app

from .models import JobRequest

BATCH = 1000


@app.task(
    name="jobs.dispatch",
    soft_time_limit=30,
    time_limit=45,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def dispatch_jobs() -> int:
    """Every few seconds (beat): send each pending (organization, task) once and delete the
    rows sent, oldest first, in batches. Rows another dispatcher holds are skipped; if sending
    fails the transaction rolls back and the rows wait for the next run. Returns the number of
    jobs sent."""
    sent = 0
    while True:
        with transaction.atomic():
            rows = list(
                JobRequest.objects.select_for_update(skip_locked=True)
                .order_by("requested_at", "id")
                .values_list("id", "organization_id", "task")[:BATCH]
            )
            if not rows:
                return sent
            jobs = dict.fromkeys((task, organization_id) for _, organization_id, task in rows)
            for task, organization_id in jobs:
                app.send_task(task, args=[organization_id])
            JobRequest.objects.filter(id__in=[row[0] for row in rows]).delete()
            sent += len(jobs)
        if len(rows) < BATCH:
            return sent
