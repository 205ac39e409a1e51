"""An import's apply survives its process dying mid-way: nothing is half-done, the import waits,
queued, and the next job applies it once. The apply runs in a real separate process (as a
worker would run it) against the test database, killed with SIGKILL while it writes."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.files import File

from bench.import_files import write_jira_csv
from imports import progress, services
from imports.models import ImportRun, ImportState
from tests.traceability.conftest import _database_url
from work.models import Task, TaskEvent

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
ROWS = 20_000


def test_a_worker_killed_mid_apply_leaves_nothing_and_the_next_job_applies_once(
    org, lead, membership_of, tmp_path
):
    importer = membership_of(lead, org)
    written = write_jira_csv(tmp_path / "jira.csv", rows=ROWS)
    with open(written.path, "rb") as binary:
        run = services.import_start(
            organization=org, membership=importer, upload=File(binary, name="jira.csv")
        )
    services.run_pending(org.pk)
    run.refresh_from_db()
    work_rows = run.plan["work_rows"]
    assert run.plan["tasks"]["new"] == work_rows > 0
    services.import_apply(organization=org, membership=importer, run=run)

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "vindaris.settings.test",
        "DATABASE_URL": _database_url(),
    }
    code = (
        "import django; django.setup(); from imports.services import run_pending;"
        f" run_pending({org.pk})"
    )
    worker = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env)  # noqa: S603
    try:
        deadline = time.monotonic() + 60
        while True:
            seen = progress.read(org.pk, run.pk)
            if seen and seen.phase == "applying" and 40 <= seen.percent < 100:
                break
            assert worker.poll() is None, "the apply ended before it could be stopped"
            assert time.monotonic() < deadline, "the apply never got under way"
            time.sleep(0.02)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.wait(timeout=30)

    run.refresh_from_db()
    assert run.state == ImportState.APPLY_QUEUED
    assert Task.objects.filter(organization=org).count() == 0
    assert TaskEvent.objects.filter(organization=org).count() == 0

    assert services.run_pending(org.pk) == 1
    run.refresh_from_db()
    assert run.state == ImportState.APPLIED, run.error
    keys = list(Task.objects.filter(organization=org).values_list("external_key", flat=True))
    assert len(keys) == len(set(keys)) == work_rows
    assert ImportRun.objects.filter(organization=org, state=ImportState.APPLIED).count() == 1
