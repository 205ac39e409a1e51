"""Every tool's sample export (tests/imports/samples) imports, and importing it again changes
nothing: the re-import finds each task by its key in every format."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports import services
from imports.models import ImportState
from work.models import Origin, Task, TaskEvent

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples"


def run_file(org, importer, path: Path, apply: bool = True):
    run = services.import_start(
        organization=org,
        membership=importer,
        upload=SimpleUploadedFile(path.name, path.read_bytes()),
    )
    services.run_pending(org.pk)
    run.refresh_from_db()
    assert run.state == ImportState.READY, run.error
    if apply:
        services.import_apply(organization=org, membership=importer, run=run)
        services.run_pending(org.pk)
        run.refresh_from_db()
        assert run.state == ImportState.APPLIED, run.error
    return run


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("jira_cloud.csv", "jira"),
        ("jira_server.csv", "jira"),
        ("linear.csv", "linear"),
        ("github_issues.json", "github"),
        ("github_project.tsv", "github"),
        ("asana.csv", "asana"),
    ],
)
def test_each_sample_imports_once_and_again_changes_nothing(name, source, org, lead, membership_of):
    importer = membership_of(lead, org)
    first = run_file(org, importer, SAMPLES / name)

    tasks = Task.objects.filter(organization=org)
    created = first.result["tasks"]["new"]
    assert created == first.plan["tasks"]["new"] > 100  # several hundred rows per sample
    assert tasks.count() == created
    assert set(tasks.values_list("source", flat=True)) == {source}
    assert set(tasks.values_list("origin", flat=True)) == {Origin.IMPORT}
    # every row of work read is created (rows that cannot be taken are problems, not work)
    assert created == first.plan["work_rows"]
    events = TaskEvent.objects.filter(organization=org).count()

    again = run_file(org, importer, SAMPLES / name)
    assert again.plan["tasks"] == {"new": 0, "changed": 0, "unchanged": created}
    assert again.result["tasks"] == {"new": 0, "changed": 0, "unchanged": created}
    assert tasks.count() == created
    assert TaskEvent.objects.filter(organization=org).count() == events
