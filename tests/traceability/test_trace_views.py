"""The trace pages: the tree, its lazy expansion, the deep link, and the outcome page."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from goals.models import GoalStatus
from tests.builders import make_goal, make_outcome, make_task
from tests.traceability.test_trace_rollups import build_forest, check_in, grow
from work import services as work_services
from work.models import Origin

TRACE = "/o/acme/trace/"


def children_url(goal) -> str:
    return f"{TRACE}goals/{goal.number}/children/"


def node_ids(html: str) -> list[str]:
    """The ids of the tree's nodes in document order: g-12, o-3, t-345, none, g-12-more-tasks."""
    return re.findall(r'role="treeitem" id="trace-([\w-]+)"', html)


@pytest.fixture
def forest(org, lead, planner):
    return build_forest(org, lead, planner)


def test_the_tree_shows_the_active_top_level_goals_with_their_roll_ups(
    org, forest, viewer, client_for
):
    response = client_for(viewer).get(TRACE)
    html = response.content.decode()

    assert response.status_code == 200
    # "No goal" first, even when there is no orphaned work: it is never out of sight.
    assert node_ids(html) == ["none", f"g-{forest.root.number}", f"g-{forest.root2.number}"]
    assert "No orphaned work" in html
    root = html[html.index(f'id="trace-g-{forest.root.number}"') :]
    root = root[: root.index("</li>")]
    assert "4 live tasks" in root and "10 pts" in root and "17% done" in root
    assert "outcomes 45%" in root
    assert "1 starved below" in root and "1 stranded" in root and "1 suspect" in root
    assert 'aria-expanded="false"' in root and 'aria-level="1"' in root


def test_every_status_and_gaps_only_are_filters(org, forest, viewer, client_for):
    client = client_for(viewer)

    every = node_ids(client.get(TRACE, {"status": ""}).content.decode())
    assert f"g-{forest.root3.number}" in every
    gaps = node_ids(client.get(TRACE, {"status": "active", "gaps": "on"}).content.decode())
    assert gaps == [f"g-{forest.root.number}"]  # no orphaned work, so no "No goal" root either


def test_filters_swap_only_the_results_for_htmx(org, forest, viewer, client_for, htmx_headers):
    response = client_for(viewer).get(TRACE, {"status": "on_hold"}, **htmx_headers)
    html = response.content.decode()

    assert html.lstrip().startswith('<section id="trace-results"')
    assert node_ids(html) == ["none", f"g-{forest.root3.number}"]
    assert response["Vary"].count("HX-Request") == 1


def test_bad_filters_are_ignored_not_a_500(org, forest, viewer, client_for):
    client = client_for(viewer)
    for params in (
        {"status": "nonsense", "owner": "abc", "period": "2026-Q9", "page": "x"},
        {"owner": "999999", "page": "99999999999"},
        {"focus": "G-" + "9" * 40},
    ):
        assert client.get(TRACE, params).status_code == 200
    for params in ({"kind": "nonsense", "page": "-1"}, {"kind": "tasks", "page": "0"}):
        assert client.get(children_url(forest.root), params).status_code == 200


def test_expanding_a_goal_loads_its_children_for_htmx(
    org, forest, viewer, client_for, htmx_headers
):
    response = client_for(viewer).get(children_url(forest.a1), **htmx_headers)
    html = response.content.decode()

    assert "<html" not in html
    assert node_ids(html) == [
        f"o-{forest.o1.number}",
        f"t-{forest.t6.number}",
        f"t-{forest.t1.number}",
        f"t-{forest.t3.number}",
        f"t-{forest.t2.number}",
    ]
    assert 'aria-level="4"' in html  # A1 is on level 3
    t1 = html[html.index(f'id="trace-t-{forest.t1.number}"') :]
    t1 = t1[: t1.index("</li>")]
    assert "To do" in t1 and f'moves <a href="/o/acme/outcomes/{forest.o1.number}/"' in t1
    t6 = html[html.index(f'id="trace-t-{forest.t6.number}"') :]
    assert "In progress" in t6[: t6.index("</li>")]


def test_expanding_with_gaps_only_shows_only_gaps(org, forest, viewer, client_for, htmx_headers):
    client = client_for(viewer)
    under_b = client.get(children_url(forest.b), {"gaps": "1"}, **htmx_headers).content.decode()
    assert node_ids(under_b) == [f"t-{forest.t4.number}"]
    under_a1 = client.get(children_url(forest.a1), {"gaps": "1"}, **htmx_headers).content.decode()
    assert "No gaps under" in under_a1


def test_without_javascript_the_children_url_is_a_page_and_toggles_are_links(
    org, forest, viewer, client_for
):
    client = client_for(viewer)
    page = client.get(children_url(forest.a)).content.decode()
    assert "<html" in page
    assert f'<a href="{TRACE}?focus={forest.root.key}">' in page  # the path, as links
    assert node_ids(page)[:3] == [
        f"g-{forest.a.number}",
        f"g-{forest.a1.number}",
        f"g-{forest.a2.number}",
    ]

    tree = client.get(TRACE).content.decode()
    toggle = (
        f'href="{TRACE}?status=active&amp;focus={forest.root.key}#trace-g-{forest.root.number}"'
    )
    assert toggle in tree


def test_a_deep_link_opens_the_path_and_highlights_the_task(org, forest, viewer, client_for):
    html = client_for(viewer).get(TRACE, {"focus": forest.t1.key}).content.decode()

    for goal in (forest.root, forest.a, forest.a1):
        item = html[html.index(f'id="trace-g-{goal.number}"') :]
        assert 'aria-expanded="true"' in item[: item.index(">")]
    ids = node_ids(html)
    assert ids.index(f"g-{forest.a1.number}") < ids.index(f"t-{forest.t1.number}")
    focused = re.findall(r'id="trace-([a-z]-\d+)" class="[^"]*is-focused', html)
    assert focused == [f"t-{forest.t1.number}"]


def test_a_deep_link_to_an_outcome_or_a_goal_opens_it_too(org, forest, viewer, client_for):
    client = client_for(viewer)
    outcome = client.get(TRACE, {"focus": forest.o2.key}).content.decode()
    assert re.findall(r'id="trace-([a-z]-\d+)" class="[^"]*is-focused', outcome) == [
        f"o-{forest.o2.number}"
    ]
    goal = client.get(TRACE, {"focus": forest.a2.key.lower()}).content.decode()
    assert re.findall(r'id="trace-([a-z]-\d+)" class="[^"]*is-focused', goal) == [
        f"g-{forest.a2.number}"
    ]
    assert "Nothing under " + forest.a2.key in goal


def test_a_deep_link_to_nothing_says_so(org, forest, viewer, client_for):
    html = client_for(viewer).get(TRACE, {"focus": "T-9999"}).content.decode()
    assert "There is no T-9999 in this organization’s trace." in html
    assert "is-focused" not in html


def test_orphaned_work_has_its_own_root(org, planner, viewer, client_for, htmx_headers):
    org.allow_goalless_work = True
    org.save(update_fields=["allow_goalless_work"])
    make_goal(org, planner, "A goal")
    orphan = make_task(org, planner, None, "Quick capture", estimate=2, origin=Origin.QUICK_ADD)
    client = client_for(viewer)

    tree = client.get(TRACE).content.decode()
    assert node_ids(tree)[0] == "none"
    assert "1 orphaned" in tree and "2 pts of live work serve no goal" in tree
    expanded = client.get(f"{TRACE}no-goal/children/", **htmx_headers).content.decode()
    assert node_ids(expanded) == [f"t-{orphan.number}"] and "Orphaned" in expanded
    focused = client.get(TRACE, {"focus": orphan.key}).content.decode()
    assert f'id="trace-t-{orphan.number}" class="trace-node trace-task is-focused' in focused


def test_more_than_fifty_children_come_with_show_more(org, lead, viewer, client_for, htmx_headers):
    goal = make_goal(org, lead, "Busy goal")
    for i in range(55):
        make_task(org, lead, goal, f"Task {i}")
    client = client_for(viewer)

    first = client.get(children_url(goal), **htmx_headers).content.decode()
    assert len(node_ids(first)) == 51 and node_ids(first)[-1] == f"g-{goal.number}-more-tasks"
    more = f"{children_url(goal)}?kind=tasks&amp;page=2"
    assert f'hx-get="{more}"' in first and "50 of 55 shown" in first
    second = client.get(children_url(goal), {"kind": "tasks", "page": "2"}, **htmx_headers)
    assert node_ids(second.content.decode()) == [f"t-{n}" for n in range(5, 0, -1)]


def test_more_than_fifty_roots_come_with_show_more(org, lead, viewer, client_for, htmx_headers):
    for i in range(52):
        make_goal(org, lead, f"Goal {i}")
    client = client_for(viewer)

    first = client.get(TRACE).content.decode()
    assert len([i for i in node_ids(first) if i.startswith("g-")]) == 50
    assert "50 of 52 shown" in first
    second = client.get(TRACE, {"status": "active", "page": "2"}, **htmx_headers).content.decode()
    assert node_ids(second) == ["g-51", "g-52"]


@pytest.mark.parametrize("htmx", [False, True])
def test_outsiders_get_404_on_every_tree_url(org, forest, outsider, client_for, htmx, htmx_headers):
    headers = htmx_headers if htmx else {}
    client = client_for(outsider)
    for url in (
        TRACE,
        f"{TRACE}?focus={forest.t1.key}",
        children_url(forest.root),
        f"{TRACE}no-goal/children/",
        f"{TRACE}export.csv",
        f"{TRACE}export.json",
        f"/o/acme/outcomes/{forest.o1.number}/",
    ):
        assert client.get(url, **headers).status_code == 404, url


def test_another_organizations_goal_is_404_under_ours(org, other_org, outsider, viewer, client_for):
    theirs = make_goal(other_org, outsider, "Globex plan")
    outcome = make_outcome(other_org, outsider, theirs)
    client = client_for(viewer)
    assert client.get(children_url(theirs)).status_code == 404
    assert client.get(f"/o/acme/outcomes/{outcome.number}/").status_code == 404


def test_the_tree_is_read_only(org, forest, admin, client_for):
    assert client_for(admin).post(TRACE).status_code == 405
    assert client_for(admin).post(children_url(forest.root)).status_code == 405


def test_the_root_and_an_expansion_run_the_same_queries_for_a_ten_times_larger_tree(
    org, lead, viewer, client_for, htmx_headers, django_assert_num_queries
):
    parent = make_goal(org, lead, "Parent")
    grow(org, lead, parent, goals=2, tasks_each=3)
    client = client_for(viewer)
    with CaptureQueriesContext(connection) as root:
        assert client.get(TRACE).status_code == 200
    with CaptureQueriesContext(connection) as expansion:
        assert client.get(children_url(parent), **htmx_headers).status_code == 200
    with CaptureQueriesContext(connection) as deep_link:
        assert client.get(TRACE, {"focus": "T-1"}).status_code == 200

    grow(org, lead, parent, goals=18, tasks_each=6)
    for i in range(5):
        grow(org, lead, make_goal(org, lead, f"Another root {i}"), goals=2, tasks_each=3)
    with django_assert_num_queries(len(root.captured_queries)):
        client.get(TRACE)
    with django_assert_num_queries(len(expansion.captured_queries)):
        html = client.get(children_url(parent), **htmx_headers).content.decode()
    assert len([i for i in node_ids(html) if i.startswith("g-")]) == 20
    with django_assert_num_queries(len(deep_link.captured_queries)):
        client.get(TRACE, {"focus": "T-1"})


# The outcome page ------------------------------------------------------------------------------


def test_the_outcome_page_shows_the_work_meant_to_move_it_and_what_it_serves(
    org, forest, viewer, client_for
):
    html = client_for(viewer).get(f"/o/acme/outcomes/{forest.o1.number}/").content.decode()

    assert f'<span class="key">{forest.o1.key}</span> New logos' in html
    moving = html[html.index('id="moving-heading"') : html.index('id="credited-heading"')]
    assert f'id="moving-{forest.t1.number}"' in moving
    assert f'id="moving-{forest.t6.number}"' not in moving  # aims at no outcome
    serves = html[html.index('id="serves-heading"') : html.index('id="chart-heading"')]
    assert serves.index(forest.a1.key) < serves.index(forest.a.key) < serves.index(forest.root.key)
    assert "Root goal" in serves
    assert f'href="{TRACE}?focus={forest.o1.key}"' in html


def test_the_outcome_page_lists_the_tasks_credited_in_its_check_ins(
    org, lead, planner, viewer, client_for
):
    goal = make_goal(org, lead, "Grow revenue")
    outcome = make_outcome(org, lead, goal, "Monthly revenue", baseline="100", target="200")
    credited = make_task(org, planner, goal, "Launch the offer")
    other = make_task(org, planner, goal, "Not credited")
    for value, on in (("120", date(2026, 1, 10)), ("150", date(2026, 2, 10))):
        work_services.check_in_record(
            organization=org,
            actor=lead,
            outcome=outcome,
            value=Decimal(value),
            checked_on=on,
            credited_tasks=[credited],
        )

    html = client_for(viewer).get(f"/o/acme/outcomes/{outcome.number}/").content.decode()
    section = html[html.index('id="credited-heading"') : html.index('id="check-ins-heading"')]
    assert f'id="credited-{credited.number}"' in section
    assert f'id="credited-{other.number}"' not in section
    assert "2 times" in section and "10 Feb 2026" in section


def test_the_outcome_page_draws_its_value_over_time(org, lead, viewer, client_for):
    goal = make_goal(org, lead, "Grow revenue")
    outcome = make_outcome(org, lead, goal, "Monthly revenue", baseline="100", target="200")
    for value in ("120", "110", "180"):
        check_in(org, lead, outcome, value)

    html = client_for(viewer).get(f"/o/acme/outcomes/{outcome.number}/").content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and "<title" in svg
    assert svg.count('class="chart-point"') == 4  # the starting value and three check-ins
    assert "<script" not in html.split("</head>")[1]
    # The highest value is drawn highest (smallest y).
    ys = [float(y) for y in re.findall(r'class="chart-point" cx="[\d.]+" cy="([\d.]+)"', svg)]
    assert min(ys) == ys[3]
    assert "the latest value is 180" in svg


def test_an_outcome_without_check_ins_has_no_chart(org, lead, viewer, client_for):
    outcome = make_outcome(org, lead, make_goal(org, lead, "Grow revenue"))
    html = client_for(viewer).get(f"/o/acme/outcomes/{outcome.number}/").content.decode()
    assert "<svg" not in html and "No check-ins yet" in html


def test_the_outcome_page_runs_the_same_queries_whatever_the_work(
    org, lead, viewer, client_for, django_assert_num_queries
):
    goal = make_goal(org, lead, "Grow revenue", parent=make_goal(org, lead, "Root"))
    outcome = make_outcome(org, lead, goal)
    task = make_task(org, lead, goal, "First", outcome=outcome)
    check_in(org, lead, outcome, "120")
    client = client_for(viewer)
    url = f"/o/acme/outcomes/{outcome.number}/"
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for i in range(20):
        make_task(org, lead, goal, f"More {i}", outcome=outcome)
        work_services.check_in_record(
            organization=org,
            actor=lead,
            outcome=outcome,
            value=Decimal(121 + i),
            credited_tasks=[task],
        )
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(url)


def test_a_stranded_goal_still_shows_under_every_status(org, lead, viewer, client_for):
    held = make_goal(org, lead, "Held", status=GoalStatus.ON_HOLD)
    html = client_for(viewer).get(TRACE, {"status": ""}).content.decode()
    assert f"g-{held.number}" in node_ids(html)
