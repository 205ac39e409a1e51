"""The trace tree in Chromium: expanding with the mouse and the keyboard, a deep link, gaps only."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.traceability.test_trace_rollups import Forest, build_forest

TRACE = "/o/acme/trace/"


@pytest.fixture
def forest(org, lead, planner) -> Forest:
    return build_forest(org, lead, planner)


def item(page, prefix: str, number: int):
    return page.locator(f"#trace-{prefix}-{number}")


def toggle(page, prefix: str, number: int):
    return page.locator(f"#trace-{prefix}-{number} > .trace-row .trace-toggle")


def count_children_requests(page) -> list[str]:
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/children/" in r.url else None)
    return requests


def test_a_viewer_expands_three_levels_with_the_mouse_and_collapses_without_a_reload(
    page, login, forest, viewer
):
    login(viewer.email, PASSWORD)
    page.goto(TRACE)
    page.evaluate("window.traceMarker = 'no reload'")
    requests = count_children_requests(page)
    root, a, a1 = forest.root.number, forest.a.number, forest.a1.number

    expect(item(page, "g", a)).to_have_count(0)
    toggle(page, "g", root).click()
    expect(item(page, "g", root)).to_have_attribute("aria-expanded", "true")
    expect(item(page, "g", a)).to_be_visible()
    expect(item(page, "o", forest.o3.number)).to_be_visible()
    toggle(page, "g", a).click()
    expect(item(page, "g", a1)).to_be_visible()
    toggle(page, "g", a1).click()
    task = item(page, "t", forest.t1.number)
    expect(task).to_be_visible()
    expect(task).to_contain_text("Call prospects")
    expect(task).to_contain_text(f"moves {forest.o1.key}")
    expect(item(page, "o", forest.o1.number)).to_contain_text("50%")
    assert len(requests) == 3

    # Collapse and reopen: hidden and shown again, never asked for twice.
    toggle(page, "g", root).click()
    expect(item(page, "g", root)).to_have_attribute("aria-expanded", "false")
    expect(item(page, "g", a)).to_be_hidden()
    toggle(page, "g", root).click()
    expect(task).to_be_visible()
    assert len(requests) == 3
    assert page.evaluate("window.traceMarker") == "no reload"


def test_a_viewer_walks_the_tree_with_the_keyboard(page, login, forest, viewer):
    login(viewer.email, PASSWORD)
    page.goto(TRACE)
    root, a, a1 = forest.root.number, forest.a.number, forest.a1.number
    tree = page.get_by_role("tree", name="Goals, outcomes and work")

    # One stop in the tab order: the first node.
    expect(tree.locator('[role="treeitem"][tabindex="0"]')).to_have_count(1)
    page.locator("#trace-none").focus()
    page.keyboard.press("ArrowDown")
    expect(page.locator(f"#trace-g-{root}")).to_be_focused()
    page.keyboard.press("ArrowRight")  # expand G-1
    expect(item(page, "g", a)).to_be_visible()
    page.keyboard.press("ArrowRight")  # into its first child
    expect(page.locator(f"#trace-g-{a}")).to_be_focused()
    page.keyboard.press("Enter")  # expand
    expect(item(page, "g", a1)).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(page.locator(f"#trace-g-{a1}")).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(item(page, "o", forest.o1.number)).to_be_visible()
    page.keyboard.press("ArrowRight")
    expect(page.locator(f"#trace-o-{forest.o1.number}")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator(f"#trace-t-{forest.t6.number}")).to_be_focused()
    expect(item(page, "t", forest.t6.number)).to_have_attribute("aria-level", "4")
    expect(tree.locator('[role="treeitem"][tabindex="0"]')).to_have_count(1)

    page.keyboard.press("ArrowLeft")  # to the parent
    expect(page.locator(f"#trace-g-{a1}")).to_be_focused()
    page.keyboard.press("ArrowLeft")  # collapse it
    expect(item(page, "g", a1)).to_have_attribute("aria-expanded", "false")
    expect(item(page, "o", forest.o1.number)).to_be_hidden()
    page.keyboard.press("ArrowDown")  # past the collapsed children, to its sibling
    expect(page.locator(f"#trace-g-{forest.a2.number}")).to_be_focused()
    page.keyboard.press("Home")
    expect(page.locator("#trace-none")).to_be_focused()

    # Enter on a task opens its page.
    page.locator(f"#trace-g-{a1}").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/o/acme/tasks/{forest.t6.number}/$"))


def test_a_deep_link_focuses_the_task_with_its_path_open(page, login, forest, viewer):
    login(viewer.email, PASSWORD)
    page.goto(f"{TRACE}?focus={forest.t4.key}")

    task = item(page, "t", forest.t4.number)
    expect(task).to_be_visible()
    expect(task).to_have_class(re.compile(r"\bis-focused\b"))
    expect(task).to_be_focused()
    expect(task).to_contain_text("Stranded")
    for number in (forest.root.number, forest.b.number):
        expect(item(page, "g", number)).to_have_attribute("aria-expanded", "true")
    expect(item(page, "g", forest.a.number)).to_have_attribute("aria-expanded", "false")

    # Loaded with the page: collapsing and reopening asks nothing.
    requests = count_children_requests(page)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(task).to_be_hidden()
    page.keyboard.press("ArrowRight")
    expect(task).to_be_visible()
    assert requests == []


def test_gaps_only_leaves_just_the_paths_to_gaps(page, login, forest, viewer):
    login(viewer.email, PASSWORD)
    page.goto(TRACE)
    expect(item(page, "g", forest.root2.number)).to_be_visible()
    page.evaluate("window.traceMarker = 'no reload'")

    page.get_by_label("Gaps only").check()
    expect(item(page, "g", forest.root2.number)).to_have_count(0)
    expect(page).to_have_url(re.compile(r"gaps=on"))
    toggle(page, "g", forest.root.number).click()
    expect(item(page, "g", forest.b.number)).to_be_visible()
    expect(item(page, "o", forest.o3.number)).to_have_count(0)
    toggle(page, "g", forest.b.number).click()
    expect(item(page, "t", forest.t4.number)).to_be_visible()
    expect(item(page, "t", forest.t5.number)).to_have_count(0)  # kept: a decision, not a gap
    toggle(page, "g", forest.a.number).click()
    expect(item(page, "g", forest.a2.number)).to_contain_text("Starved")
    expect(item(page, "g", forest.a1.number)).to_have_count(0)
    assert page.evaluate("window.traceMarker") == "no reload"


def test_show_more_loads_the_next_page_in_place(page, login, org, lead, viewer):
    from tests.builders import make_goal, make_task

    goal = make_goal(org, lead, "Busy goal")
    for i in range(53):
        make_task(org, lead, goal, f"Task {i}")
    login(viewer.email, PASSWORD)
    page.goto(TRACE)
    toggle(page, "g", goal.number).click()
    tasks = page.locator(f"#trace-g-{goal.number}-children > .trace-task")
    expect(tasks).to_have_count(50)
    more = page.locator(f"#trace-g-{goal.number}-more-tasks")
    more.focus()
    page.keyboard.press("Enter")
    expect(tasks).to_have_count(53)
    expect(more).to_have_count(0)
    expect(page.locator("#trace-t-3")).to_be_focused()  # the first of the new ones
