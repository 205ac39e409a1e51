"""The latest health and the stale marker show wherever a goal appears: the goal page, the goal
list, the trace, the coverage goals table, the home page and the digest; each page reads them
in a constant number of queries."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.builders import make_goal, make_update
from traceability import services as trace_services
from vindaris.tenancy.models import Membership


@pytest.fixture
def goals(org, lead, long_ago, membership_of):
    """Owned by the lead, active since 60 days: `risky` updated today (at risk), `quiet` never
    updated, `old` updated 40 days ago (off track), and `paused`, on hold, never updated."""
    owner = membership_of(lead, org)
    risky = make_goal(org, lead, "Win the Nordics", owner=owner)
    quiet = make_goal(org, lead, "Cut churn", owner=owner)
    old = make_goal(org, lead, "Hire a CFO", owner=owner)
    paused = make_goal(org, lead, "Open Tokyo", owner=owner, status="on_hold")
    long_ago(risky, quiet, old, paused)
    make_update(org, lead, old, "off_track", now=timezone.now() - timedelta(days=40))
    make_update(org, lead, risky, "on_track", "early days", now=timezone.now() - timedelta(days=1))
    make_update(org, lead, risky, "at_risk", "Two deals slipped.")
    return risky, quiet, old, paused


def _region(html: str, start: str, end: str) -> str:
    """The markup from the element with id `start` to the next `end`."""
    at = html.index(f'id="{start}"')
    return html[at : html.index(end, at)]


def _health(region: str) -> tuple[str, bool]:
    """The health label and whether the stale marker is there, in one goal's markup."""
    label = re.search(r'class="badge health-[a-z_]+"[^>]*>([^<]+)<', region)
    return (label.group(1) if label else ""), ">Stale<" in region


EXPECTED = {
    "risky": ("At risk", False),
    "quiet": ("No update", True),
    "old": ("Off track", True),
}


def test_the_goal_page_shows_the_health_and_the_latest_updates(org, lead, goals, client_for):
    risky, quiet, old, _ = goals
    client = client_for(lead)
    for goal, name in ((risky, "risky"), (quiet, "quiet"), (old, "old")):
        html = client.get(reverse("goal_detail", args=[org.slug, goal.number])).content.decode()
        header = _region(html, "goal-title", "</dl>")
        assert _health(header) == EXPECTED[name], name
    html = client.get(reverse("goal_detail", args=[org.slug, risky.number])).content.decode()
    updates = _region(html, f"goal-{risky.number}-updates", "</section>")
    assert updates.index("Two deals slipped.") < updates.index("early days")


def test_the_goal_list_shows_each_goals_health(org, lead, goals, client_for):
    html = client_for(lead).get(reverse("goal_list", args=[org.slug])).content.decode()
    for goal, name in zip(goals, ("risky", "quiet", "old"), strict=False):
        assert _health(_region(html, f"goal-row-{goal.number}-health", "</td>")) == EXPECTED[name]
    # On hold: never stale, and no update yet.
    paused = goals[3]
    assert _health(_region(html, f"goal-row-{paused.number}-health", "</td>")) == (
        "No update",
        False,
    )


def test_the_trace_shows_each_goals_health(org, lead, goals, client_for):
    html = client_for(lead).get(reverse("trace", args=[org.slug])).content.decode()
    for goal, name in zip(goals, ("risky", "quiet", "old"), strict=False):
        facts = _region(html, f"trace-g-{goal.number}-facts", "trace-owner")
        label, stale = _health(facts)
        # The trace leaves "No update" out (its short badge); the stale marker stays.
        assert (label or "No update", stale) == EXPECTED[name]


def test_the_coverage_goals_table_shows_each_active_goals_health(org, lead, goals, client_for):
    html = client_for(lead).get(reverse("coverage", args=[org.slug])).content.decode()
    for goal, name in zip(goals, ("risky", "quiet", "old"), strict=False):
        assert _health(_region(html, f"coverage-goal-{goal.number}", "</th>")) == EXPECTED[name]
    assert f'id="coverage-goal-{goals[3].number}"' not in html  # on hold: not in the table


def test_the_home_page_shows_the_owners_goals_health(org, lead, goals, client_for):
    html = client_for(lead).get(reverse("org_home", args=[org.slug])).content.decode()
    for goal, name in zip(goals, ("risky", "quiet", "old"), strict=False):
        row = _region(html, f"home-goal-{goal.number}", "</tr>")
        assert _health(row) == EXPECTED[name]
        # A stale goal offers its owner the way to post the update.
        assert ("Post an update" in row) is EXPECTED[name][1]


def test_the_digest_tells_the_health_and_the_goals_without_a_recent_update(org, lead, goals):
    risky, quiet, old, _ = goals
    member = Membership.objects.select_related("user").get(organization=org, user=lead)
    digest = trace_services.digest_for_member(organization=org, membership=member)
    assert digest.health is not None
    # Three active goals: one at risk, one off track, one without an update (on hold: left out).
    assert (digest.health.on_track, digest.health.at_risk) == (0, 1)
    assert (digest.health.off_track, digest.health.no_update) == (1, 1)
    assert [i.key for i in digest.health.stale] == [quiet.key, old.key]  # by priority, number
    assert [i.key for i in digest.health.attention] == [old.key, risky.key]  # worst first
    from traceability.digest import render_digest

    text = render_digest(digest).body
    assert (
        "Health of the 3 active goals: 0 on track, 1 at risk, 1 off track, 1 without an update."
        in text
    )
    assert "Goals without a recent update: 2" in text
    assert f"- {quiet.key} Cut churn (no update yet)" in text


PAGES = ("goal_list", "trace", "coverage", "org_home")


@pytest.mark.parametrize("name", PAGES)
def test_health_adds_no_query_per_goal(name, org, lead, long_ago, membership_of, client_for):
    owner = membership_of(lead, org)
    client = client_for(lead)
    url = reverse(name, args=[org.slug])

    def count() -> int:
        client.get(url)  # warm-up
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    first = make_goal(org, lead, "Goal 0", owner=owner)
    long_ago(first)
    make_update(org, lead, first, "at_risk")
    few = count()
    for n in range(1, 8):
        goal = make_goal(org, lead, f"Goal {n}", owner=owner)
        long_ago(goal)
        for health in ("on_track", "off_track")[: n % 3]:
            make_update(org, lead, goal, health)
    assert count() == few
