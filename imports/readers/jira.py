"""Jira's CSV export (Cloud, and Server/Data Center): issues as work, epics as groups.

What each row gives:
- An issue whose Issue Type is Epic is a `GroupRow` (its key and summary), not work.
- Any other issue is a `WorkRow`. Its `group` is its `Custom field (Epic Link)` when the file
  has one; otherwise, when its parent (`Parent key`, `Parent`, `Parent id`) is an epic the file
  has already given, that epic, and `parent` is left empty. A parent not yet seen stays in
  `parent` (a key, or the numeric id when only the id is known: each row's `ref` is its Issue
  id, by which the importer finds it): the importer takes a `parent` naming a `GroupRow` of the
  file as the group. A sub-task without an epic of its own gets the
  group of a parent seen before it.
- Parents and epic links given as numeric ids (Cloud's `Parent` column) are turned into keys
  through the `Issue id` column of the rows seen so far.
- `status_category` comes from `Status Category` (To Do, In Progress, Done), a Done whose status
  or resolution says it was dropped (Won't Do, Duplicate, Cancelled…) being `cancelled` and a
  status named Blocked or On Hold `blocked`; without that column (Server), from the status
  name alone when it is a common one, else "".
- `labels` are the `Labels` columns then the `Component/s` columns (each once).
- The estimate is the first of `Custom field (Story point estimate)`, `Custom field (Story
  Points)`, `Story Points` with a value.
"""

import re
from collections.abc import Iterator
from typing import TextIO

from imports.readers.base import (
    BLOCKED,
    CANCELLED,
    DONE,
    IN_PROGRESS,
    TODO,
    GroupRow,
    Item,
    Reader,
    WorkRow,
)
from imports.readers.cells import (
    Keys,
    date_cell,
    estimate_cell,
    means_cancelled,
    one_line,
    status_from_name,
    unique,
)
from imports.readers.text import CsvFile, Row

REQUIRED = ("Issue key", "Summary")

ESTIMATE_COLUMNS = (
    "Custom field (Story point estimate)",
    "Custom field (Story Points)",
    "Story Points",
    "Story point estimate",
)
EPIC_LINK_COLUMNS = ("Custom field (Epic Link)", "Epic Link")
PARENT_COLUMNS = ("Parent key", "Parent", "Parent id")

CATEGORIES = {"to do": TODO, "in progress": IN_PROGRESS, "done": DONE}

ISSUE_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*-\d+")


def status_category(status: str, category: str, resolution: str) -> str:
    """Our status for a Jira status, its category (where the export has it) and resolution."""
    named = status_from_name(status)
    ours = CATEGORIES.get(category.casefold(), "")
    if not ours:
        ours = named
    if ours == DONE and (means_cancelled(status) or means_cancelled(resolution)):
        return CANCELLED
    if ours in (TODO, IN_PROGRESS) and named == BLOCKED:
        return BLOCKED
    return ours


class _Issues:
    """What the rows read so far tell about the others: issue ids to keys, epics, groups."""

    def __init__(self) -> None:
        self.keys = Keys()
        self.key_of_id: dict[str, str] = {}
        self.epics: dict[str, str] = {}  # key → summary
        self.group_of: dict[str, str] = {}  # work key → its group, for its sub-tasks

    def resolve(self, value: str) -> str:
        """An issue named by key (as is) or by numeric id (its key when seen, else the id)."""
        if value.isdigit():
            return self.key_of_id.get(value, value)
        return value

    def parent(self, row: Row) -> str:
        """The parent's key, preferring a column that holds a key over one holding an id."""
        values = [row.get(name) for name in PARENT_COLUMNS]
        for value in values:
            if ISSUE_KEY.fullmatch(value):
                return value
        return next((self.resolve(value) for value in values if value), "")


def read(text: TextIO) -> Iterator[Item]:
    """The issues and epics of a Jira CSV export, in file order (see the module's docstring)."""
    table = CsvFile(text)
    issues = _Issues()
    for row in table:
        if not isinstance(row, Row):
            yield row
            continue
        key = row.get("Issue key")
        title = one_line(row.get("Summary"))
        problem = issues.keys.check(row.line, key, title)
        if problem:
            yield problem
            continue
        issue_id = row.get("Issue id")
        if issue_id:
            issues.key_of_id[issue_id] = key
        if row.get("Issue Type").casefold() == "epic":
            issues.epics[key] = title
            yield GroupRow(line=row.line, key=key, title=title, ref=issue_id)
            continue
        yield _work(row, key, title, issues)


def _work(row: Row, key: str, title: str, issues: _Issues) -> WorkRow:
    warnings: list[str] = []
    group = issues.resolve(row.get(*EPIC_LINK_COLUMNS))
    parent = issues.parent(row)
    group_title = issues.epics.get(group, "")
    if parent and parent in issues.epics:
        if not group:
            group = parent
            group_title = issues.epics[parent] or row.get("Parent summary")
        parent = ""
    elif parent and not group:
        group = issues.group_of.get(parent, "")
        group_title = issues.epics.get(group, "")
    if group:
        issues.group_of[key] = group
    estimate_column = next((name for name in ESTIMATE_COLUMNS if row.get(name)), "")
    status = row.get("Status")
    return WorkRow(
        line=row.line,
        key=key,
        title=title,
        description=row.raw("Description").strip(),
        status=status,
        status_category=status_category(status, row.get("Status Category"), row.get("Resolution")),
        assignee=row.get("Assignee"),
        estimate=(
            estimate_cell(row.get(estimate_column), estimate_column, warnings)
            if estimate_column
            else None
        ),
        due=date_cell(row.get("Due date"), "due date", warnings),
        group=group,
        group_title=group_title,
        parent=parent,
        labels=unique(row.all("Labels") + row.all("Component/s")),
        warnings=warnings,
        ref=row.get("Issue id"),
    )


JIRA = Reader(name="jira", label="Jira CSV", source="jira", read=read)
