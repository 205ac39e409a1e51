"""Every page the benchmark measures runs the same number of queries on a small organization
and on one ten times larger (the benchmark checks the same at 2,000, 50,000 and 1,000,000
tasks)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from bench import floors
from work.models import Task

HTMX = {"HTTP_HX_REQUEST": "true"}


def _url(name: str, target: floors.Target, goal_number: int | None = None) -> str:
    kwargs: dict = {"org_slug": target.slug}
    if goal_number is not None:
        kwargs["goal_number"] = goal_number
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        # A renamed URL must not switch the guard off.
        pytest.fail(f"the measured page {name!r} has no URL: update the query-count tests")


def _queries(client, url: str, *, post: dict | None = None, **headers) -> tuple[int, str]:
    """The number of queries of one request, and the page it answered."""
    send = client.get if post is None else client.post
    with CaptureQueriesContext(connection) as ctx:
        response = send(url, post or {}, **headers)
    assert response.status_code == 200, response.content.decode()[:500]
    return len(ctx.captured_queries), response.content.decode()


def _same_on_both(generated, request) -> tuple[int, int, str]:
    """`request(client, target)` on the small organization, then on the large one, each once to
    warm up and once counted: both query counts, and the large organization's page. (Both are
    counted in the same state: a write's job request, written once per transaction, was
    written by the warm-up in the test's transaction.)"""
    counted = []
    for target in (generated.small, generated.large):
        client = generated.client(target)
        request(client, target)
        counted.append(request(client, target))
    (small, _), (large, page) = counted
    return small, large, page


def test_the_goal_page_of_the_busiest_goal(generated):
    def goal_page(client, target):
        return _queries(client, _url("goal_detail", target, target.busiest_goal))

    small, large, page = _same_on_both(generated, goal_page)
    assert small == large
    assert "Only the first 50 tasks are shown" in page  # the busiest goal has more


def test_the_work_list(generated):
    def work_list(client, target):
        return _queries(client, _url("work_list", target))

    small, large, page = _same_on_both(generated, work_list)
    assert small == large
    assert page.count('<tr id="task-') == 50
    assert 'rel="next"' in page  # older tasks are a page away


def test_the_inline_add_task_post(generated):
    def add_task(client, target):
        url = _url("goal_task_add", target, target.busiest_goal)
        data = {
            "title": "Call the churned accounts",
            "estimate": "2",
            "outcome": "",
            "assignee": "",
        }
        return _queries(client, url, post=data, **HTMX)

    small, large, page = _same_on_both(generated, add_task)
    assert small == large
    assert "Call the churned accounts" in page
    # every POST added its task under the busiest goal
    added = Task.objects.filter(title="Call the churned accounts")
    assert added.filter(organization_id=generated.small.org_id).count() == 2
    assert added.filter(organization_id=generated.large.org_id).count() == 2


def test_the_coverage_dashboard(generated):
    def coverage(client, target):
        return _queries(client, _url("coverage", target))

    small, large, _ = _same_on_both(generated, coverage)
    assert small == large


def test_the_trace_root(generated):
    def trace(client, target):
        return _queries(client, _url("trace", target))

    small, large, _ = _same_on_both(generated, trace)
    assert small == large


def test_a_node_expansion(generated):
    def expand(client, target):
        return _queries(client, _url("trace_goal_children", target, target.expand_goal), **HTMX)

    small, large, _ = _same_on_both(generated, expand)
    assert small == large
