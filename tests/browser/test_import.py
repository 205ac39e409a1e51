"""A lead brings a Linear export in, in Chromium, with the real background worker: uploads,
reviews the dry run, maps one project to a goal and leaves the other unlinked, applies, and
finds the unlinked work in the orphaned queue with the linked ratio changed."""

import pytest
from playwright.sync_api import expect

from imports.models import ImportRun, ImportState
from tests.builders import make_goal, make_task
from tests.factories import PASSWORD
from tests.traceability.conftest import celery_worker  # noqa: F401 - the real worker fixture
from work.models import Task

pytestmark = pytest.mark.django_db(transaction=True)

LINEAR = (
    "ID,Team,Title,Description,Status,Estimate,Priority,Project,Assignee,Created\n"
    "ENG-1,Engineering,Pay with cards,,In Progress,3,High,Checkout,,2026-11-01\n"
    "ENG-2,Engineering,Pay with wallets,,Todo,2,Medium,Checkout,,2026-11-02\n"
    "ENG-3,Engineering,Save cards,,Backlog,1,Low,Checkout,,2026-11-03\n"
    "ENG-4,Engineering,Index products,,Todo,2,Medium,Search,,2026-11-04\n"
    "ENG-5,Engineering,Rank results,,In Review,3,Medium,Search,,2026-11-05\n"
    "ENG-6,Engineering,Fix the footer,,Done,1,Low,,,2026-11-06\n"
)


def test_a_lead_imports_a_linear_export_and_finds_the_unlinked_work_orphaned(
    page,
    login,
    org,
    lead,
    celery_worker,  # noqa: F811 - the fixture imported above
    tmp_path,
):
    goal = make_goal(org, lead, "Checkout converts")
    make_task(org, lead, goal, "Measure conversion", estimate=4)
    export = tmp_path / "linear-export.csv"
    export.write_text(LINEAR)
    login(lead.email, PASSWORD)

    page.goto("/o/acme/import/")
    page.get_by_label("File").set_input_files(str(export))
    page.get_by_role("button", name="Upload and start the dry run").click()
    # the worker reads the file; the page follows its progress and shows the dry run
    expect(page.get_by_role("heading", name="Dry run: what applying would do")).to_be_visible()
    expect(page.get_by_role("row", name="Tasks 6 0 0")).to_be_visible()
    assert not Task.objects.filter(organization=org, origin="import").exists()

    page.get_by_label("Checkout").select_option(label=f"{goal.key} Checkout converts")
    expect(page.get_by_label("Search")).to_have_value("none")
    page.get_by_role("button", name="Apply this import").click()
    # a changed mapping is read again first: the dry run now links the three
    expect(page.get_by_text("3 new tasks get a goal")).to_be_visible()
    page.get_by_role("button", name="Apply this import").click()

    expect(page.get_by_role("heading", name="Applied on", exact=False)).to_be_visible()
    expect(page.get_by_text("6 tasks created", exact=False)).to_be_visible()
    # linked: 4 points before, of 4; after, 4 + 3 + 2 + 1 of 4 + 6 + 5 (the footer is done)
    expect(page.get_by_role("row", name="Linked ratio 100% 67%")).to_be_visible()
    run = ImportRun.objects.get(organization=org)
    assert run.state == ImportState.APPLIED

    page.get_by_role("link", name="Attach the 2 tasks without a goal").click()
    expect(page).to_have_url(
        f"{page.url.split('/o/')[0]}/o/acme/coverage/orphaned/?import={run.number}"
    )
    expect(page.get_by_text("Index products")).to_be_visible()
    expect(page.get_by_text("Rank results")).to_be_visible()
    expect(page.get_by_text("Pay with cards")).to_have_count(0)
    expect(page.locator("#coverage-linked-ratio")).to_have_text("67%")
