"""The tools' readers on their sample exports (samples/, written by samples/make.py), and the
registry that tells a file's format.

Single rows are checked against values read off the files by hand (the line each starts on);
counts are computed here from the files with the csv and json modules, not by the readers.
"""

import csv
import io
import json
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from imports.readers import READERS, detect, open_reader
from imports.readers.base import (
    GroupRow,
    Item,
    Problem,
    UnreadableFile,
    WorkRow,
)

SAMPLES = Path(__file__).parent / "samples"
BROKEN = SAMPLES / "broken"


def read(path: Path, format: str | None = None) -> tuple[str, list[Item]]:
    with open(path, "rb") as binary:
        reader, items = open_reader(binary, format)
        return reader.name, list(items)


def work(items: list[Item]) -> dict[str, WorkRow]:
    return {item.key: item for item in items if isinstance(item, WorkRow)}


def at(items: list[Item], line: int) -> Item:
    [item] = [item for item in items if item.line == line]
    return item


def sample_rows(name: str, delimiter: str = ",") -> list[tuple[int, dict[str, str]]]:
    """(the line a row starts on, its cells by header, the first of repeated headers), by the
    csv module."""
    rows = []
    with open(SAMPLES / name, newline="", encoding="utf-8") as text:
        reader = csv.reader(text, delimiter=delimiter)
        header = next(reader)
        last = reader.line_num
        for cells in reader:
            row: dict[str, str] = {}
            for column, cell in zip(header, cells, strict=True):
                row.setdefault(column, cell)
            rows.append((last + 1, row))
            last = reader.line_num
    return rows


# Jira Cloud -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jira_cloud() -> list[Item]:
    name, items = read(SAMPLES / "jira_cloud.csv")
    assert name == "jira"
    return items


def test_jira_cloud_epics_are_groups_with_their_issue_id(jira_cloud):
    epics = [
        (line, row["Issue key"], row["Summary"], row["Issue id"])
        for line, row in sample_rows("jira_cloud.csv")
        if row["Issue Type"] == "Epic"
    ]
    groups = [(g.line, g.key, g.title, g.ref) for g in jira_cloud if isinstance(g, GroupRow)]
    assert len(groups) == 12
    assert groups == epics
    assert at(jira_cloud, 1227) == GroupRow(1227, "PM-3", "EU data residency", ref="10009")


def test_jira_cloud_row_under_an_epic_later_in_the_file(jira_cloud):
    # Line 3: PM-401 (id 11203), a Story In Progress, Parent 10009 (the epic PM-3, on line
    # 1227: newest first), 13.0 points, due 15/Jun/24, labels security and infra, component
    # Billing, nobody assigned.
    row = at(jira_cloud, 3)
    assert isinstance(row, WorkRow)
    assert (row.key, row.title, row.ref) == ("PM-401", "Test CSV export (follow-up)", "11203")
    assert (row.status, row.status_category) == ("In Progress", "in_progress")
    assert (row.parent, row.group) == ("10009", "")
    assert (row.estimate, row.due, row.assignee) == (Decimal(13), date(2024, 6, 15), "")
    assert row.labels == ["security", "infra", "Billing"]
    assert row.warnings == []
    assert row.description.startswith("Design has a mock-up in the shared folder;")


def test_jira_cloud_every_parent_id_names_a_row_of_the_file(jira_cloud):
    parents = [row["Parent"] for _line, row in sample_rows("jira_cloud.csv") if row["Parent"]]
    refs = {item.ref for item in jira_cloud if isinstance(item, WorkRow | GroupRow)}
    given = [row.parent for row in jira_cloud if isinstance(row, WorkRow) and row.parent]
    assert len(given) == len(parents) == 344
    assert set(given) <= refs


def test_jira_cloud_statuses_follow_their_category(jira_cloud):
    # A Done-category status that says the work was dropped (Won't Do; Closed as Duplicate)
    # is cancelled; Blocked, in the In Progress category, is blocked.
    expected = {
        "To Do": "todo",
        "Backlog": "todo",
        "Selected for Development": "todo",
        "In Progress": "in_progress",
        "In Review": "in_progress",
        "QA": "in_progress",
        "Blocked": "blocked",
        "Done": "done",
        "Ready to ship": "done",
        "Won't Do": "cancelled",
        "Closed": "cancelled",
    }
    rows = [row for row in jira_cloud if isinstance(row, WorkRow)]
    assert {row.status for row in rows} == set(expected)
    assert all(row.status_category == expected[row.status] for row in rows)
    blocked = at(jira_cloud, 139)
    assert isinstance(blocked, WorkRow)
    assert (blocked.key, blocked.status, blocked.status_category) == (
        "PM-363",
        "Blocked",
        "blocked",
    )


def test_jira_cloud_bad_points_and_dates_are_warnings(jira_cloud):
    # PM-363 (line 139) has points "TBD"; PM-343 (line 201) is due 31/Jun/24.
    points, day = at(jira_cloud, 139), at(jira_cloud, 201)
    assert isinstance(points, WorkRow) and isinstance(day, WorkRow)
    assert points.estimate is None
    assert points.warnings == [
        "Custom field (Story point estimate) 'TBD' is not a number: left empty"
    ]
    assert (day.key, day.due, day.estimate) == ("PM-343", None, Decimal(2))
    assert day.warnings == [
        "due date '31/Jun/24' is not a date (day is out of range for month): left empty"
    ]
    warned = [row.line for row in jira_cloud if isinstance(row, WorkRow) and row.warnings]
    assert warned == [139, 201]


# Jira Server ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jira_server() -> list[Item]:
    name, items = read(SAMPLES / "jira_server.csv")
    assert name == "jira"
    return items


def test_jira_server_groups_by_epic_link_and_sub_tasks_by_their_parent(jira_server):
    rows = sample_rows("jira_server.csv")
    by_id = {row["Issue id"]: row for _line, row in rows}
    expected = {}
    for _line, row in rows:
        if row["Issue Type"] == "Sub-task":
            parent = by_id[row["Parent id"]]
            expected[row["Issue key"]] = (parent["Issue key"], parent["Custom field (Epic Link)"])
        elif row["Issue Type"] != "Epic":
            expected[row["Issue key"]] = ("", row["Custom field (Epic Link)"])
    found = {key: (row.parent, row.group) for key, row in work(jira_server).items()}
    assert found == expected
    assert len(found) == 330


def test_jira_server_rows_by_hand(jira_server):
    # Line 31: OPS-9, a Task In Progress in epic OPS-8 ("Secrets rotation", line 30), 8 points.
    # Line 41: OPS-12, a Sub-task of OPS-10 (id 20010, line 32, epic OPS-2).
    task, sub_task = at(jira_server, 31), at(jira_server, 41)
    assert isinstance(task, WorkRow) and isinstance(sub_task, WorkRow)
    assert (task.key, task.group, task.group_title, task.parent) == (
        "OPS-9",
        "OPS-8",
        "Secrets rotation",
        "",
    )
    assert (task.status_category, task.estimate, task.assignee) == (
        "in_progress",
        Decimal(8),
        "chiamaka.okafor@example.com",
    )
    assert task.labels == ["ux", "infra", "Platform"]
    assert (sub_task.key, sub_task.parent, sub_task.group, sub_task.group_title) == (
        "OPS-12",
        "OPS-10",
        "OPS-2",
        "Observability baseline",
    )
    assert (sub_task.assignee, sub_task.due) == ("kjohnson", date(2023, 9, 26))
    epic = at(jira_server, 2)
    assert epic == GroupRow(2, "OPS-1", "Zero-downtime deploys", ref="20001")


def test_jira_server_statuses_are_told_by_name_and_resolution(jira_server):
    rows = {
        (line, row["Status"], row["Resolution"]) for line, row in sample_rows("jira_server.csv")
    }
    expected = {
        ("Open", ""): "todo",
        ("Reopened", ""): "todo",
        ("In Progress", ""): "in_progress",
        ("In Review", ""): "in_progress",
        ("Blocked", ""): "blocked",
        ("Awaiting Deploy", ""): "",
        ("Resolved", "Fixed"): "done",
        ("Closed", "Fixed"): "done",
        ("Closed", "Won't Fix"): "cancelled",
        ("Closed", "Duplicate"): "cancelled",
    }
    by_line = work(jira_server)
    found = {row.line: row.status_category for row in by_line.values()}
    for line, status, resolution in rows:
        if line in found:
            assert found[line] == expected[status, resolution], line


# Jira: parents by id, in any order --------------------------------------------------------------


def test_jira_parent_ids_become_keys_when_the_parent_came_first():
    # PM-3 (Sub-task of id 10002) and PM-2 (under the epic 10001) come before their parents;
    # PM-4 and PM-5 after them.
    name, items = read(BROKEN / "jira_parent_later.csv")
    assert name == "jira"
    rows = [
        (i.line, i.key, i.parent, i.group, i.group_title, i.ref)
        for i in items
        if isinstance(i, WorkRow)
    ]
    assert rows == [
        (2, "PM-3", "10002", "", "", "10003"),
        (3, "PM-2", "10001", "", "", "10002"),
        (5, "PM-4", "", "PM-1", "The epic", "10004"),
        (6, "PM-5", "PM-4", "PM-1", "The epic", "10005"),
    ]
    assert at(items, 4) == GroupRow(4, "PM-1", "The epic", ref="10001")


# Linear ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def linear() -> list[Item]:
    name, items = read(SAMPLES / "linear.csv")
    assert name == "linear"
    return items


def test_linear_groups_by_project_then_initiative(linear):
    expected = Counter()
    for _line, row in sample_rows("linear.csv"):
        if row["Project"]:
            expected[row["Project"]] += 1
        elif row["Initiatives"]:
            expected["Initiative: " + row["Initiatives"]] += 1
        else:
            expected[""] += 1
    rows = [row for row in linear if isinstance(row, WorkRow)]
    assert len(rows) == 320
    assert Counter(row.group for row in rows) == expected
    assert all(row.group_title == row.group for row in rows)


def test_linear_rows_by_hand(linear):
    # Line 2: ENG-1 Done (Completed set) in SOC 2 readiness; line 10: ENG-2 in no project, under
    # the initiative "Grow self-serve revenue"; line 12: ENG-4, a sub-issue of ENG-1; line 21:
    # ENG-6 Duplicate (Canceled set); line 172: ENG-38 in no project nor initiative.
    first, second, sub, duplicate, alone = (at(linear, n) for n in (2, 10, 12, 21, 172))
    assert isinstance(first, WorkRow) and isinstance(second, WorkRow)
    assert isinstance(sub, WorkRow) and isinstance(duplicate, WorkRow)
    assert isinstance(alone, WorkRow)
    assert (first.key, first.status, first.status_category, first.group) == (
        "ENG-1",
        "Done",
        "done",
        "SOC 2 readiness",
    )
    assert (first.estimate, first.assignee, first.labels) == (
        Decimal(8),
        "chiamaka.okafor@example.com",
        ["Bug", "Frontend"],
    )
    assert (second.key, second.group, second.status_category) == (
        "ENG-2",
        "Initiative: Grow self-serve revenue",
        "todo",
    )
    assert (sub.key, sub.parent, sub.due) == ("ENG-4", "ENG-1", date(2024, 3, 16))
    assert (duplicate.status, duplicate.status_category, duplicate.assignee) == (
        "Duplicate",
        "cancelled",
        "Alan Turing",
    )
    assert (alone.key, alone.group) == ("ENG-38", "")


def test_linear_formula_guard_is_dropped(linear):
    titles = {row.key: row.title for row in linear if isinstance(row, WorkRow)}
    assert [titles[key] for key in ("ENG-8", "ENG-72", "DES-29", "ENG-206")] == [
        "+1 reactions on comments",
        "-0 shown for empty totals",
        "@mentions in notes",
        "=SUM shown instead of totals in exports",
    ]


def test_linear_statuses():
    expected = {
        "Backlog": "todo",
        "Todo": "todo",
        "Triage": "todo",
        "In Progress": "in_progress",
        "In Review": "in_progress",
        "Done": "done",
        "Canceled": "cancelled",
        "Duplicate": "cancelled",
    }
    _name, items = read(SAMPLES / "linear.csv")
    rows = [row for row in items if isinstance(row, WorkRow)]
    assert {row.status for row in rows} == set(expected)
    assert all(row.status_category == expected[row.status] for row in rows)


def test_formula_cells_are_text_and_only_linears_guard_goes():
    # formula.csv (Linear columns): ENG-1 =HYPERLINK("http://x","y"); ENG-2 '=1+2 in project
    # '@Checkout; ENG-3 'Quoted on purpose' (a quote before no formula sign).
    _name, items = read(BROKEN / "formula.csv")
    assert [(row.title, row.group) for row in items if isinstance(row, WorkRow)] == [
        ('=HYPERLINK("http://x","y")', ""),
        ("=1+2", "@Checkout"),
        ("'Quoted on purpose'", ""),
    ]


# Every reader's checks --------------------------------------------------------------------------


def test_keys_and_titles_out_of_bounds_are_problems():
    # long_title.csv: ENG-1 has a 200-character title (the limit), ENG-2 201, ENG-3 none; line 5
    # has no key, line 6 a key of 101 characters.
    _name, items = read(BROKEN / "long_title.csv")
    assert [row.key for row in items if isinstance(row, WorkRow)] == ["ENG-1"]
    assert [item for item in items if isinstance(item, Problem)] == [
        Problem(3, "title is 201 characters; the limit is 200"),
        Problem(4, "no title"),
        Problem(5, "no key"),
        Problem(6, "key is 101 characters; the limit is 100"),
    ]


def test_a_key_seen_twice_is_a_problem_on_the_second_row():
    _name, items = read(BROKEN / "duplicate_keys.csv")
    assert [(i.line, i.key) for i in items if isinstance(i, WorkRow)] == [
        (2, "ENG-1"),
        (3, "ENG-2"),
    ]
    assert [i for i in items if isinstance(i, Problem)] == [
        Problem(4, "duplicate key ENG-1, first on line 2")
    ]


@pytest.mark.parametrize("name", ["bom.csv", "utf16.csv", "latin1.csv", "utf16be_nobom.csv"])
def test_every_encoding_gives_the_same_rows(name):
    titles = {
        "bom.csv": "Café menu",
        "utf16.csv": "Café menu",
        "latin1.csv": "Crème brûlée — 5 €",
        "utf16be_nobom.csv": "Naïve search",
    }
    reader, items = read(BROKEN / name)
    assert reader == "linear"
    [row] = items
    assert isinstance(row, WorkRow)
    assert (row.key, row.title, row.status_category) == ("ENG-1", titles[name], "todo")


# GitHub issues --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def github() -> list[Item]:
    name, items = read(SAMPLES / "github_issues.json")
    assert name == "github"
    return items


def test_github_issues_by_hand(github):
    # The first item: #300, open, milestone "Docs overhaul", assigned to aturing and mhamilton,
    # label performance. The third: #298, closed as completed, no milestone.
    first, third = at(github, 1), at(github, 3)
    assert isinstance(first, WorkRow) and isinstance(third, WorkRow)
    assert (first.key, first.title, first.status, first.status_category) == (
        "acme/web#300",
        "Test dark mode on Safari",
        "open",
        "todo",
    )
    assert (first.group, first.group_title, first.assignee, first.labels) == (
        "Docs overhaul",
        "Docs overhaul",
        "aturing",
        ["performance"],
    )
    assert first.warnings == ["also assigned to mhamilton: the first is kept"]
    assert (third.key, third.status, third.status_category, third.group) == (
        "acme/web#298",
        "closed: completed",
        "done",
        "",
    )
    assert third.labels == ["bug", "security"]


def test_github_issues_counts(github):
    issues = json.loads((SAMPLES / "github_issues.json").read_text(encoding="utf-8"))
    milestones = Counter((i["milestone"] or {}).get("title", "") for i in issues)
    states = Counter(
        {"OPEN": "todo", "COMPLETED": "done", "NOT_PLANNED": "cancelled"}[
            i["state"] if i["state"] == "OPEN" else i["stateReason"]
        ]
        for i in issues
    )
    rows = [row for row in github if isinstance(row, WorkRow)]
    assert len(rows) == len(issues) == 300
    assert Counter(row.group for row in rows) == milestones
    assert Counter(row.status_category for row in rows) == states
    assert [row.description for row in rows] == [i["body"].strip() for i in issues]


def test_a_json_file_cut_off_is_unreadable_after_its_last_item():
    with open(BROKEN / "broken.json", "rb") as binary:
        _reader, items = open_reader(binary)
        first = next(items)
        assert isinstance(first, WorkRow) and first.key == "acme/web#1"
        with pytest.raises(UnreadableFile, match=r"^The file stops being valid JSON after item 1"):
            next(items)


def test_github_items_that_are_not_issues_and_keys_without_a_url():
    data = b'[{"number": 7, "title": "No url", "state": "CLOSED", "stateReason": "DUPLICATE"}, 3]'
    _reader, items = open_reader(io.BytesIO(data), "github")
    row, problem = list(items)
    assert isinstance(row, WorkRow)
    assert (row.key, row.status, row.status_category) == ("#7", "closed: duplicate", "cancelled")
    assert problem == Problem(2, "the item is not an issue (a JSON object)")


# GitHub Projects ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def project() -> list[Item]:
    name, items = read(SAMPLES / "github_project.tsv")
    assert name == "github_project"
    return items


def test_github_project_draft_items_are_problems(project):
    drafts = [line for line, row in sample_rows("github_project.tsv", "\t") if not row["URL"]]
    problems = [item for item in project if isinstance(item, Problem)]
    assert len(drafts) == 15
    assert problems == [
        Problem(line, "draft items have no key; convert them to issues") for line in drafts
    ]


def test_github_project_rows_by_hand(project):
    # Line 2: acme/api#152, Blocked, assigned ewd, milestone Accessibility, Estimate 2 (Size XS).
    # Line 14: acme/web#415, Size M and no Estimate. Line 24: acme/api#170 under acme/api#169.
    first, sized, sub = at(project, 2), at(project, 14), at(project, 24)
    assert isinstance(first, WorkRow) and isinstance(sized, WorkRow) and isinstance(sub, WorkRow)
    assert (first.key, first.status, first.status_category, first.assignee) == (
        "acme/api#152",
        "Blocked",
        "blocked",
        "ewd",
    )
    assert (first.group, first.estimate) == ("Accessibility", Decimal(2))
    assert (sized.key, sized.estimate, sized.warnings) == ("acme/web#415", None, [])
    assert (sub.key, sub.parent) == ("acme/api#170", "acme/api#169")


def test_github_project_counts(project):
    rows = [row for _line, row in sample_rows("github_project.tsv", "\t") if row["URL"]]
    found = [row for row in project if isinstance(row, WorkRow)]
    assert Counter(row.group for row in found) == Counter(row["Milestone"] for row in rows)
    assert Counter(row.status for row in found) == Counter(row["Status"] for row in rows)


def test_the_same_issue_has_the_same_key_in_the_json_and_the_project_export():
    json_data = b'[{"number": 9, "title": "Fix login", "state": "OPEN", "url": '
    json_data += b'"https://github.com/acme/web/issues/9"}]'
    _reader, from_json = open_reader(io.BytesIO(json_data))
    _name, from_project = read(BROKEN / "tab.tsv")
    assert [row.key for row in from_json] == [row.key for row in from_project] == ["acme/web#9"]


# Asana ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def asana() -> list[Item]:
    name, items = read(SAMPLES / "asana.csv")
    assert name == "asana"
    return items


def test_asana_rows_by_hand(asana):
    # Line 2: a task In progress in "Q3 launch campaign". Line 3: completed, tags design and
    # urgent, in "Customer webinars". Line 11: its subtask, parent named, no project, assignee
    # with no email. Line 53: in two projects.
    open_task, done, sub, two = (at(asana, n) for n in (2, 3, 11, 53))
    assert isinstance(open_task, WorkRow) and isinstance(done, WorkRow)
    assert isinstance(sub, WorkRow) and isinstance(two, WorkRow)
    assert (open_task.key, open_task.status, open_task.status_category) == (
        "1206744000077336",
        "In progress",
        "in_progress",
    )
    assert (open_task.assignee, open_task.group) == (
        "juergen.weiss@example.com",
        "Q3 launch campaign",
    )
    assert (done.status, done.status_category, done.labels) == (
        "Completed",
        "done",
        ["design", "urgent"],
    )
    assert (sub.parent, sub.group, sub.assignee, sub.status, sub.status_category) == (
        "1206744000123140",
        "Customer webinars",
        "Chiamaka Okafor",
        "Open",
        "todo",
    )
    assert (two.group, two.estimate) == ("Brand refresh", Decimal(3))
    assert two.warnings == ["also in projects Q3 launch campaign: grouped under Brand refresh only"]


def test_asana_a_parent_name_two_tasks_have_is_left_out(asana):
    # "Test search index" is the name of the tasks on lines 192 and 745; the subtask on line
    # 746 names it.
    sub = at(asana, 746)
    assert isinstance(sub, WorkRow)
    assert (sub.title, sub.parent, sub.group) == ("Publish: test search index", "", "")
    assert sub.warnings == ["several tasks are named 'Test search index': left without a parent"]


def test_asana_subtasks_find_their_parents(asana):
    rows = sample_rows("asana.csv")
    ids: dict[str, list[str]] = {}
    expected = {}
    for _line, row in rows:
        if row["Parent task"]:
            [parent] = ids[row["Parent task"]] if len(ids[row["Parent task"]]) == 1 else [""]
            expected[row["Task ID"]] = parent
        ids.setdefault(row["Name"], []).append(row["Task ID"])
    found = {row.key: row.parent for row in asana if isinstance(row, WorkRow) and row.parent}
    assert found == {key: parent for key, parent in expected.items() if parent}
    assert len(found) == 59


# The registry -----------------------------------------------------------------------------------


def test_the_registry_names_every_format():
    assert set(READERS) == {
        "jira",
        "linear",
        "github",
        "github_project",
        "asana",
        "vindaris_csv",
        "vindaris_trace_csv",
        "vindaris_json",
    }
    assert {name: reader.source for name, reader in READERS.items()}["github_project"] == "github"


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("jira_cloud.csv", "jira"),
        ("jira_server.csv", "jira"),
        ("linear.csv", "linear"),
        ("github_issues.json", "github"),
        ("github_project.tsv", "github_project"),
        ("asana.csv", "asana"),
        ("broken/semicolon_quoted.csv", "jira"),
        ("broken/tab.tsv", "github_project"),
        ("broken/utf16.csv", "linear"),
        ("vindaris/strategy.csv", "vindaris_csv"),
        ("vindaris/trace.csv", "vindaris_trace_csv"),
        ("vindaris/graph.json", "vindaris_json"),
    ],
)
def test_detect_tells_each_format(path, name):
    with open(SAMPLES / path, "rb") as binary:
        assert detect(binary).name == name
        assert binary.tell() == 0


def test_detect_names_the_formats_it_knows_when_none_matches():
    with open(BROKEN / "unknown.csv", "rb") as binary, pytest.raises(UnreadableFile) as raised:
        detect(binary)
    message = str(raised.value)
    assert message.startswith("This is a file with the columns Name, Email, Phone, which is none")
    for label in ("Jira CSV", "Linear CSV", "GitHub issues (JSON)", "Asana CSV"):
        assert label in message


def test_a_chosen_format_overrides_detection():
    # tab.tsv has Title, URL and Status: a GitHub Projects export. Chosen as Linear, its
    # missing columns are named; so is the one a Linear export lacks for GitHub Projects.
    with open(BROKEN / "tab.tsv", "rb") as binary, pytest.raises(UnreadableFile) as raised:
        open_reader(binary, "linear")
    assert str(raised.value) == (
        "The headers do not look like Linear CSV: the columns ID, Team are missing."
    )
    with open(SAMPLES / "linear.csv", "rb") as binary, pytest.raises(UnreadableFile) as raised:
        open_reader(binary, "github_project")
    assert str(raised.value) == (
        "The headers do not look like GitHub Projects export (TSV or CSV): the column URL is "
        "missing."
    )
    with open(BROKEN / "tab.tsv", "rb") as binary:
        reader, items = open_reader(binary, "github_project")
        assert reader.name == "github_project"
        assert [row.key for row in items] == ["acme/web#9"]


def test_a_chosen_format_of_the_other_kind_is_refused():
    with open(SAMPLES / "github_issues.json", "rb") as binary, pytest.raises(UnreadableFile) as e:
        open_reader(binary, "jira")
    assert str(e.value) == "The file is JSON, but Jira CSV is CSV."
    with pytest.raises(UnreadableFile, match=r"^Unknown format 'excel'"):
        open_reader(io.BytesIO(b"a,b\n"), "excel")


def test_an_upload_that_cannot_seek_is_read_all_the_same():
    class Stream(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self._data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def readinto(self, buffer: Any) -> int:
            chunk = self._data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    data = (BROKEN / "duplicate_keys.csv").read_bytes()
    reader, items = open_reader(io.BufferedReader(Stream(data)))
    assert reader.name == "linear"
    assert [item.line for item in items] == [2, 3, 4]


def test_readers_stream_a_large_file():
    class Counting(io.BytesIO):
        taken = 0

        def read(self, size: int | None = -1) -> bytes:
            data = super().read(size)
            self.taken += len(data)
            return data

    header = "Issue key,Summary,Issue Type,Status,Status Category,Description\r\n"
    rows = "".join(
        f'PM-{n},Issue {n},Task,To Do,To Do,"{"A long description. " * 20}"\r\n'
        for n in range(1, 20_001)
    )
    binary = Counting((header + rows).encode())  # about 9 MB
    _reader, items = open_reader(binary)
    binary.taken = 0
    first = [next(items) for _ in range(10)]
    assert [row.key for row in first] == [f"PM-{n}" for n in range(1, 11)]
    assert binary.taken < 500_000
