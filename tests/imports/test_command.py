"""`manage.py import_work`: the same import from a terminal, dry run first."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from imports.models import ImportRun, ImportState
from work.models import Task

pytestmark = pytest.mark.django_db

JIRA = (
    "Issue key,Summary,Issue Type,Status,Status Category,Custom field (Epic Link)\n"
    "PM-1,Checkout,Epic,To Do,To Do,\n"
    "PM-2,Pay with cards,Story,In Progress,In Progress,PM-1\n"
    "PM-3,Fix the footer,Bug,To Do,To Do,\n"
)


def test_a_dry_run_reports_and_changes_nothing(org, lead, tmp_path):
    path = tmp_path / "jira.csv"
    path.write_text(JIRA)
    out = StringIO()
    call_command("import_work", org=org.slug, file=str(path), dry_run=True, stdout=out)

    text = out.getvalue()
    assert "Jira CSV: 3 rows; tasks 2 new, 0 changed, 0 unchanged" in text
    assert "Dry run only: nothing was changed." in text
    assert not Task.objects.filter(organization=org).exists()
    assert ImportRun.objects.get(organization=org).state == ImportState.CANCELLED


def test_an_import_applies_as_the_named_lead(org, lead, admin, tmp_path):
    path = tmp_path / "jira.csv"
    path.write_text(JIRA)
    out = StringIO()
    call_command("import_work", org=org.slug, file=str(path), email=lead.email, stdout=out)

    assert "2 tasks created" in out.getvalue()
    run = ImportRun.objects.get(organization=org)
    assert (run.state, run.applied_by) == (ImportState.APPLIED, lead)
    assert set(Task.objects.filter(organization=org).values_list("external_key", flat=True)) == {
        "PM-2",
        "PM-3",
    }


def test_bad_arguments_are_refused_with_a_message(org, lead, planner, tmp_path):
    with pytest.raises(CommandError, match="No organization"):
        call_command("import_work", org="nope", file=str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="No file"):
        call_command("import_work", org=org.slug, file=str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="No admin or lead"):
        call_command("import_work", org=org.slug, file=str(tmp_path / "x.csv"), email=planner.email)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(CommandError, match="empty"):
        call_command("import_work", org=org.slug, file=str(empty))
    assert not ImportRun.objects.filter(organization=org).exists()
