"""A database outage answers 503 "try again" (htmx: a message in the page), and a write that was
saved before the outage began is answered with a redirect, never an error."""

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from tests.builders import make_goal, make_task
from vindaris.lib import outage
from work.models import Task, TaskStatus

HTMX = {"HTTP_HX_REQUEST": "true"}


class DatabaseDown:
    """Every statement fails the way a restarting server fails them, from the start or only
    once a transaction has committed (`after_commit`)."""

    def __init__(self, *, after_commit: bool = False) -> None:
        self.commits = connection.commits if after_commit else None

    def __call__(self, execute, sql, params, many, context):
        if self.commits is None or connection.commits > self.commits:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


def signed_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_a_page_during_an_outage_is_a_503_with_retry_after(org, planner):
    client = signed_in(planner)

    with connection.execute_wrapper(DatabaseDown()):
        response = client.get(reverse("work_list", args=[org.slug]))
        fragment = client.get(reverse("work_list", args=[org.slug]), **HTMX)

    assert response.status_code == 503
    assert response["Retry-After"] == str(outage.RETRY_AFTER_SECONDS)
    assert "Try again in a moment" in response.content.decode()
    assert fragment.status_code == 503
    assert (fragment["HX-Retarget"], fragment["HX-Reswap"]) == ("#messages", "innerHTML")
    assert 'role="alert"' in fragment.content.decode()


def test_a_write_during_an_outage_is_a_503_and_changes_nothing(org, lead, planner):
    task = make_task(org, planner, make_goal(org, lead, "Launch in Spain"))
    client = signed_in(planner)

    with connection.execute_wrapper(DatabaseDown()):
        response = client.post(
            reverse("task_status", args=[org.slug, task.number]), {"status": "done"}
        )

    assert response.status_code == 503
    assert Task.objects.get(organization=org, pk=task.pk).status == TaskStatus.TODO


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("htmx", [False, True])
def test_a_saved_write_whose_answer_fails_is_a_redirect_not_an_error(org, lead, planner, htmx):
    goal = make_goal(org, lead, "Launch in Spain")
    task = make_task(org, planner, goal)
    client = signed_in(planner)
    page = reverse("goal_detail", args=[org.slug, goal.number])

    # The status change commits; the row re-read for the answer meets the outage.
    with connection.execute_wrapper(DatabaseDown(after_commit=True)):
        response = client.post(
            reverse("task_status", args=[org.slug, task.number]),
            {"status": "done", "layout": "goal", "next": page},
            **(HTMX if htmx else {}),
        )

    assert Task.objects.get(organization=org, pk=task.pk).status == TaskStatus.DONE
    if htmx:
        assert (response.status_code, response["HX-Redirect"]) == (200, page)
    else:
        assert response.status_code in (302, 303) and response["Location"] == page


def test_any_other_error_is_still_a_500(rf):
    request = rf.get("/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = outage.server_error(request)

    assert response.status_code == 500
