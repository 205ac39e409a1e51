"""The fixed cast: `org` with an admin, lead, planner and viewer; `other_org` with the outsider."""

import os

import pytest
from django.test import Client

from tests import tenant_sql
from tests.builders import (
    make_comment,
    make_goal,
    make_import,
    make_outcome,
    make_task,
    make_update,
)
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from vindaris.tenancy.models import Membership, Organization, Role, User

# TENANT_SQL=report: record statements that do not pin one organization in a file instead of
# failing the tests that ran them (to survey a change).
TENANT_SQL_REPORT = os.environ.get("TENANT_SQL") == "report"


def refuse_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    """A skipped or expected-to-fail test or module is reported as failed: a check that did
    not run, because a part is missing or a marker said so, is not a pass; nor is a test
    marked to fail that passed (its marker hides whether it checks anything)."""
    if report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped, which the suite does not allow: {report.longrepr}"
    elif getattr(report, "wasxfail", None) is not None:
        report.outcome = "failed"
        report.longrepr = f"marked to fail, which the suite does not allow: {report.wasxfail}"
        del report.wasxfail  # else pytest counts it as an unexpected pass, not a failure


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that skips at run time (a marker, a fixture or a library calling pytest.skip)."""
    outcome = yield
    refuse_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    """A module that skips as it is collected (pytest.skip at module level, importorskip)."""
    outcome = yield
    refuse_skip(outcome.get_result())


def pytest_sessionfinish(session, exitstatus):
    """The last guard: a run that reported any skip is not a success."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and reporter.stats.get("skipped") and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session", autouse=True)
def _tenant_sql_checked(django_db_setup, django_db_blocker):
    """After the test database is built, every statement on every connection is checked."""
    tenant_sql.install()


@pytest.fixture(autouse=True)
def _tenant_sql_pinned(request, _tenant_sql_checked):
    """A test fails when a statement it ran (in any thread) touches tenant tables without
    pinning them to one organization (tests/tenant_sql.py)."""
    tenant_sql.forget()
    yield
    found = tenant_sql.recorded()
    tenant_sql.forget()
    if not found:
        return
    if TENANT_SQL_REPORT:
        path = os.environ.get("TENANT_SQL_FILE", "tenant-sql-report.txt")
        with open(path, "a", encoding="utf-8") as report:
            for r in found:
                sql = " ".join(r.sql.split())
                report.write(f"{request.node.nodeid}\t{r.kind}\t{r.detail}\t{r.site}\t{sql}\n")
        return
    shown = "\n".join(f"- {r.kind}: {r.detail}\n  at {r.site}\n  {r.sql[:500]}" for r in found[:5])
    pytest.fail(
        f"{len(found)} statement(s) not pinned to one organization:\n{shown}", pytrace=False
    )


@pytest.fixture
def org(db) -> Organization:
    return OrganizationFactory(name="Acme", slug="acme")


@pytest.fixture
def other_org(db) -> Organization:
    return OrganizationFactory(name="Globex", slug="globex")


def _member(org: Organization, role: str, email: str) -> User:
    return MembershipFactory(organization=org, role=role, user=UserFactory(email=email)).user


@pytest.fixture
def admin(org) -> User:
    return _member(org, Role.ADMIN, "admin@acme.test")


@pytest.fixture
def lead(org) -> User:
    return _member(org, Role.LEAD, "lead@acme.test")


@pytest.fixture
def planner(org) -> User:
    return _member(org, Role.PLANNER, "planner@acme.test")


@pytest.fixture
def viewer(org) -> User:
    return _member(org, Role.VIEWER, "viewer@acme.test")


@pytest.fixture
def outsider(other_org) -> User:
    """An admin of another organization: powerful there, nobody here."""
    return _member(other_org, Role.ADMIN, "admin@globex.test")


@pytest.fixture
def membership_of():
    def get(user: User, org: Organization) -> Membership:
        return Membership.objects.get(user=user, organization=org)

    return get


@pytest.fixture
def client_for():
    """A test client signed in as the given user."""

    def make(user: User) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return make


@pytest.fixture
def htmx_headers() -> dict[str, str]:
    return {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def url_samples(org, admin) -> dict[str, str]:
    """A real object of `org` for every URL keyword used under /o/<slug>/, so that a 404 proves
    the organization check and not a missing object."""
    goal = make_goal(org, admin)
    outcome = make_outcome(org, admin, goal)
    task = make_task(org, admin, goal, outcome=outcome)
    from tests.builders import make_webhook_delivery, make_webhook_endpoint

    endpoint, _secret = make_webhook_endpoint(org, admin)
    delivery = make_webhook_delivery(org, admin, endpoint)
    return {
        "endpoint_number": str(endpoint.number),
        "event_id": str(delivery.event.event_id),
        "goal_number": str(goal.number),
        "outcome_number": str(outcome.number),
        "task_number": str(task.number),
        "import_number": str(make_import(org, admin).number),
        "comment_number": str(make_comment(org, admin, goal=goal).number),
        "update_number": str(make_update(org, admin, goal).number),
    }


os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
