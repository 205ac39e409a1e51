"""A page of comments costs the same queries whatever the discussion's size, and the goal and
task pages cost nothing for their discussion (it loads after them)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.builders import make_comment, make_goal, make_task

HTMX = {"HTTP_HX_REQUEST": "true"}


def _count(client, url: str, **headers) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def _discuss(org, cast, threads: int, replies: int, **target) -> None:
    authors = [cast.lead.user, cast.planner.user, cast.viewer.user]
    for i in range(threads):
        top = make_comment(org, authors[i % 3], body=f"Thread {i} for @viewer@acme.test", **target)
        for j in range(replies):
            make_comment(org, authors[j % 3], body=f"Reply {j}", reply_to=top, **target)


def test_a_page_of_comments_costs_the_same_queries_whatever_the_total(org, lead, cast, client_for):
    small, large = make_goal(org, lead, "Small talk"), make_goal(org, lead, "Big talk")
    _discuss(org, cast, 2, 1, goal=small)
    _discuss(org, cast, 45, 3, goal=large)  # three pages of 20 threads
    client = client_for(cast.planner.user)
    counts = {}
    for goal, page in ((small, 1), (large, 1), (large, 2), (large, 3)):
        url = reverse("goal_comments", args=[org.slug, goal.number]) + f"?page={page}"
        counts[(goal.title, page)], html = _count(client, url, **HTMX)
        shown = html.count('class="comment"')
        # 2 threads of 2 comments; pages of 20 threads of 4; the last page's 5 threads
        assert shown == {("Small talk", 1): 4, ("Big talk", 3): 20}.get((goal.title, page), 80)
    assert len(set(counts.values())) == 1, counts


def test_a_tasks_comments_cost_the_same_queries_whatever_the_total(org, lead, cast, client_for):
    small, large = make_task(org, lead, cast.goal, "Small"), make_task(org, lead, cast.goal, "Big")
    _discuss(org, cast, 1, 0, task=small)
    _discuss(org, cast, 30, 2, task=large)
    client = client_for(cast.viewer.user)
    counts = [
        _count(client, reverse("task_comments", args=[org.slug, t.number]), **HTMX)[0]
        for t in (small, large)
    ]
    assert counts[0] == counts[1]


def test_the_goal_and_task_pages_load_their_discussion_after_them(org, lead, cast, client_for):
    quiet, busy = make_goal(org, lead, "Quiet"), make_goal(org, lead, "Busy")
    quiet_task, busy_task = make_task(org, lead, quiet, "Q"), make_task(org, lead, busy, "B")
    _discuss(org, cast, 25, 2, goal=busy)
    _discuss(org, cast, 25, 2, task=busy_task)
    client = client_for(cast.planner.user)
    goal_counts, task_counts = [], []
    for goal, task in ((quiet, quiet_task), (busy, busy_task)):
        n, page = _count(client, reverse("goal_detail", args=[org.slug, goal.number]))
        goal_counts.append(n)
        comments_url = reverse("goal_comments", args=[org.slug, goal.number])
        # loaded by htmx once the page shows, with a plain link to the same page without it
        assert f'hx-get="{comments_url}" hx-trigger="load"' in page
        assert f'<a href="{comments_url}">' in page
        assert "Thread 0" not in page
        n, page = _count(client, reverse("task_detail", args=[org.slug, task.number]))
        task_counts.append(n)
        assert f'hx-get="{reverse("task_comments", args=[org.slug, task.number])}"' in page
    assert goal_counts[0] == goal_counts[1]
    assert task_counts[0] == task_counts[1]


def test_without_javascript_the_discussion_is_a_page_of_its_own(org, cast, client_for):
    make_comment(org, cast.lead.user, goal=cast.goal, body="Plain **HTML** works")
    url = reverse("goal_comments", args=[org.slug, cast.goal.number])
    page = client_for(cast.viewer.user).get(url).content.decode()
    assert page.startswith("<!doctype html>")
    assert f"Discussion on {cast.goal.key}" in page
    assert "<p>Plain <strong>HTML</strong> works</p>" in page
    assert f'<form method="post" action="{url}"' in page
