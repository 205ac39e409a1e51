"""The import pages as a lead uses them: upload, follow the dry run, map, apply, see the result
and the orphaned queue filtered to the import."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from imports import services
from imports.mapping import Mapping
from imports.models import ImportRun, ImportState
from tests.builders import make_goal, make_import
from tests.test_html_valid import validate
from work.models import Task

pytestmark = pytest.mark.django_db

LINEAR = (
    "ID,Team,Title,Description,Status,Estimate,Priority,Project,Assignee,Created\n"
    "ENG-1,Engineering,Pay with cards,,In Progress,3,High,Checkout,,2026-11-01\n"
    "ENG-2,Engineering,Pay with wallets,,Todo,2,Low,Checkout,,2026-11-02\n"
    "ENG-3,Engineering,Fix the footer,,Backlog,1,Low,,,2026-11-03\n"
)


def url(org, name: str = "", number: int | None = None) -> str:
    base = f"/o/{org.slug}/import/"
    if number is None:
        return base
    return f"{base}{number}/{name + '/' if name else ''}"


def test_a_lead_uploads_follows_maps_and_applies(org, lead, client_for, htmx_headers):
    goal = make_goal(org, lead, "Checkout converts")
    client = client_for(lead)

    response = client.post(
        url(org), {"file": SimpleUploadedFile("linear.csv", LINEAR.encode()), "format": ""}
    )
    run = ImportRun.objects.get(organization=org)
    assert response.status_code == 302
    assert response["Location"] == url(org, number=run.number)
    # the job has not run yet: the page shows the progress and polls
    page = client.get(response["Location"])
    assert b"Dry run: reading the file" in page.content
    assert f'hx-get="{url(org, "progress", run.number)}"'.encode() in page.content
    assert client.get(url(org, "progress", run.number), **htmx_headers).status_code == 200

    services.run_pending(org.pk)
    done = client.get(url(org, "progress", run.number), **htmx_headers)
    assert done.headers.get("HX-Refresh") == "true"
    page = client.get(url(org, number=run.number)).content.decode()
    assert "Dry run: what applying would do" in page
    assert "Checkout" in page

    # a changed mapping reads the file again before anything is applied
    form = {"default_estimate": "1", "group-0": goal.key}
    for i in range(3):
        form[f"status-{i}"] = ["in_progress", "todo", "todo"][i]
    response = client.post(url(org, "apply", run.number), {**form, "apply": ""})
    run.refresh_from_db()
    assert response.status_code == 302
    assert run.state == ImportState.QUEUED
    assert not Task.objects.filter(organization=org).exists()
    services.run_pending(org.pk)
    run.refresh_from_db()
    assert run.mapping["groups"] == {"Checkout": goal.key}
    assert run.plan["linked_new"] == 2

    # the same mapping again applies it
    client.post(url(org, "apply", run.number), {**form, "apply": ""})
    run.refresh_from_db()
    assert run.state == ImportState.APPLY_QUEUED
    services.run_pending(org.pk)
    page = client.get(url(org, number=run.number)).content.decode()
    assert "3</strong> tasks created" in page
    assert f"/coverage/orphaned/?import={run.number}" in page

    card = Task.objects.get(organization=org, external_key="ENG-1")
    assert (
        "Import from Linear, ENG-1"
        in client.get(f"/o/{org.slug}/tasks/{card.number}/").content.decode()
    )
    queue = client.get(f"/o/{org.slug}/coverage/orphaned/?import={run.number}").content.decode()
    assert "Fix the footer" in queue
    assert "Pay with cards" not in queue  # linked to the goal, not orphaned
    assert f"only the work import I-{run.number} brought in" in queue


def test_a_mapping_with_a_value_that_is_not_a_choice_is_refused_and_changes_nothing(
    org, other_org, lead, outsider, client_for
):
    theirs = make_goal(other_org, outsider, "Theirs")
    run = make_import(org, lead, LINEAR)
    response = client_for(lead).post(
        url(org, "apply", run.number),
        {"default_estimate": "1", "group-0": theirs.key, "status-0": "todo", "apply": ""},
    )
    assert response.status_code == 400
    assert b"Select a valid choice" in response.content
    run.refresh_from_db()
    assert run.state == ImportState.READY
    assert not Task.objects.filter(organization=org).exists()


def test_a_file_over_the_limit_is_refused_before_it_is_read(org, lead, client_for):
    response = client_for(lead).post(
        url(org),
        {"file": SimpleUploadedFile("x.csv", b"ID,Team,Title\n")},
        CONTENT_LENGTH=str(services.MAX_FILE_BYTES + 10**6),
    )
    assert response.status_code == 413
    assert b"larger than 40 MB" in response.content
    assert not ImportRun.objects.filter(organization=org).exists()


def test_an_unreadable_upload_is_re_rendered_with_its_error(org, lead, client_for):
    response = client_for(lead).post(
        url(org), {"file": SimpleUploadedFile("notes.csv", b"Colour,Size\nred,2\n")}
    )
    assert response.status_code == 400
    assert b"Jira" in response.content  # the formats it knows are named
    assert not ImportRun.objects.filter(organization=org).exists()


def test_discarding_drops_the_import_and_its_file(
    org, lead, client_for, django_capture_on_commit_callbacks
):
    run = make_import(org, lead, LINEAR)
    path = Path(run.file.path)
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(lead).post(url(org, "discard", run.number))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.state == ImportState.CANCELLED
    assert not run.file
    assert not path.exists()


def test_the_dry_run_page_runs_the_same_queries_however_large_the_plan(org, lead, client_for):
    client = client_for(lead)

    def count(projects: int) -> int:
        text = "ID,Team,Title,Status,Project,Assignee\n" + "".join(
            f"E{projects}-{i},Eng,Task {i},Todo,Project {i},person{i}@x.test\n"
            for i in range(projects)
        )
        run = make_import(org, lead, text)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(org, number=run.number)).status_code == 200
        return len(queries)

    assert count(2) == count(40)


def test_every_state_of_an_import_page_is_valid_html(org, lead, client_for, tmp_path):
    client = client_for(lead)
    goal = make_goal(org, lead, "Checkout converts")
    pages = {}
    pending = services.import_start(
        organization=org,
        membership=lead.memberships.get(organization=org),
        upload=SimpleUploadedFile("a.csv", LINEAR.encode()),
    )
    pages["pending"] = client.get(url(org, number=pending.number))
    pages["progress (htmx)"] = client.get(
        url(org, "progress", pending.number), HTTP_HX_REQUEST="true"
    )
    services.run_pending(org.pk)
    pages["ready"] = client.get(url(org, number=pending.number))
    applied = make_import(org, lead, LINEAR)
    mapping = Mapping.from_json(applied.mapping)
    mapping.groups["Checkout"] = goal.key
    services.import_remap(
        organization=org,
        membership=lead.memberships.get(organization=org),
        run=applied,
        mapping=mapping,
    )
    services.run_pending(org.pk)
    services.import_apply(
        organization=org, membership=lead.memberships.get(organization=org), run=applied
    )
    services.run_pending(org.pk)
    pages["applied"] = client.get(url(org, number=applied.number))
    failed = make_import(org, lead, "ID,Team,Title\n" + "E-1,Eng,x\n")
    ImportRun.objects.filter(organization=org, pk=failed.pk).update(
        state=ImportState.FAILED, error="Line 3: a quote never closes. Nothing was changed."
    )
    pages["failed"] = client.get(url(org, number=failed.number))
    pages["start"] = client.get(url(org))
    for name, response in pages.items():
        assert response.status_code == 200, name
    found = validate({name: r.content.decode() for name, r in pages.items()}, tmp_path)
    assert found == {}


def test_forms_shown_again_with_their_errors_are_valid_html(
    org, other_org, lead, outsider, client_for, tmp_path
):
    theirs = make_goal(other_org, outsider, "Theirs")
    run = make_import(org, lead, LINEAR)
    client = client_for(lead)
    pages = {
        "mapping with errors": client.post(
            url(org, "apply", run.number),
            {"default_estimate": "-3", "group-0": theirs.key, "status-0": "nope", "apply": ""},
        ),
        "upload with errors": client.post(
            url(org), {"file": SimpleUploadedFile("notes.csv", b"Colour,Size\nred,2\n")}
        ),
    }
    for name, response in pages.items():
        assert response.status_code == 400, name
        assert b'class="error"' in response.content, name
    found = validate({name: r.content.decode() for name, r in pages.items()}, tmp_path)
    assert found == {}
