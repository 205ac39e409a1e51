"""The import job: reads or applies an organization's queued imports."""

from django.db import OperationalError

from vindaris.celery import app

from . import services


@app.task(
    name=services.RUN_TASK,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
)
def run_imports(organization_id: int) -> int:
    """Asked for through the jobs outbox when an upload or an apply is saved."""
    return services.run_pending(organization_id)
