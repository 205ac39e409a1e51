"""GitHub: the JSON of `gh issue list --json …`, and a Projects view's "Export view data" file.

Both give the same keys, `owner/repo#12` (from the issue's URL; `#12` when a JSON item has no
URL), so that an issue imported from either is the same task on a re-import.

The issues JSON (`gh issue list --json number,title,state,stateReason,labels,milestone,
assignees,createdAt,closedAt,body,url`), read an item at a time; a row's line is the item's
number in the array, from 1:
- `status` is the state as GitHub names it ("open", "closed", "closed: not planned");
  `status_category` is todo for OPEN, done for CLOSED as COMPLETED (or with no reason),
  cancelled for CLOSED as NOT_PLANNED or DUPLICATE.
- `group` is the milestone's title; `assignee` the first assignee's login (GitHub gives logins,
  not emails: the importer shows them as unknown people unless mapped; further assignees are
  named in a warning); `labels` the labels' names; `description` the body.

The Projects export (tab- or comma-separated; columns are the view's fields: Title, URL,
Assignees, Status, Labels, Milestone, Repository, and custom fields such as Estimate, Size,
Iteration):
- a draft item (no URL) has no key that would survive a re-import: it is a problem row.
- `status_category` from the Status name when it is a common one; `group` the Milestone;
  `estimate` the Estimate field (a warning when it is not a number), else the Size field when
  it is a number (a Size is most often a single select, XS to XL, which is no estimate: left
  out without a warning); `due` the first of Due date, Due, Target date, End date; `parent`
  the Parent issue's key.
"""

import re
from collections.abc import Iterator
from typing import Any, TextIO

import ijson

from imports.readers.base import (
    CANCELLED,
    DONE,
    TODO,
    Item,
    Problem,
    Reader,
    UnreadableFile,
    WorkRow,
)
from imports.readers.cells import (
    Keys,
    date_cell,
    estimate_cell,
    one_line,
    split_list,
    status_from_name,
)
from imports.readers.text import BytesOf, CsvFile, Row, first_character

REQUIRED_JSON = ("number", "title", "state")
REQUIRED_PROJECT = ("Title", "URL")

ISSUE_URL = re.compile(r"https?://[^/\s]+/([^/\s]+)/([^/\s]+)/(?:issues|pull)/(\d+)\b")

CLOSED_AS = {
    "": DONE,
    "COMPLETED": DONE,
    "NOT_PLANNED": CANCELLED,
    "DUPLICATE": CANCELLED,
}


def issue_key(url: str) -> str:
    """`owner/repo#12` for an issue's (or pull request's) URL, "" for anything else."""
    match = ISSUE_URL.match(url.strip())
    return f"{match[1]}/{match[2]}#{match[3]}" if match else ""


# The issues JSON ------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _names(values: Any, field: str) -> list[str]:
    """The `field` of each object of a list (labels' names, assignees' logins)."""
    if not isinstance(values, list):
        return []
    names = [_text(value.get(field)).strip() for value in values if isinstance(value, dict)]
    return [name for name in names if name]


def read_issues(text: TextIO) -> Iterator[Item]:
    """The issues of `gh issue list --json …`, an item at a time (see the module's docstring)."""
    head = first_character(text)
    if head != "[":
        raise UnreadableFile(
            "The file is not a list of GitHub issues: `gh issue list --json …` writes a JSON "
            "array ([…])."
        )
    keys = Keys()
    number = 0
    try:
        for number, item in enumerate(ijson.items(BytesOf(text, head), "item"), start=1):
            if not isinstance(item, dict):
                yield Problem(number, "the item is not an issue (a JSON object)")
                continue
            yield from _issue(number, item, keys)
    except ijson.JSONError as error:
        raise UnreadableFile(
            f"The file stops being valid JSON after item {number} ({error}): export it again."
        ) from None


def _issue(number: int, item: dict[str, Any], keys: Keys) -> Iterator[Item]:
    key = issue_key(_text(item.get("url")))
    if not key and isinstance(item.get("number"), int):
        key = f"#{item['number']}"
    title = one_line(_text(item.get("title")))
    problem = keys.check(number, key, title)
    if problem:
        yield problem
        return
    warnings: list[str] = []
    state = _text(item.get("state")).upper()
    reason = _text(item.get("stateReason")).upper()
    if state == "CLOSED":
        category = CLOSED_AS.get(reason, DONE)
        status = "closed: " + reason.lower().replace("_", " ") if reason else "closed"
    else:
        category = TODO if state == "OPEN" else ""
        status = state.lower()
    assignees = _names(item.get("assignees"), "login")
    if len(assignees) > 1:
        warnings.append(f"also assigned to {', '.join(assignees[1:])}: the first is kept")
    milestone = item.get("milestone")
    group = one_line(_text(milestone.get("title"))) if isinstance(milestone, dict) else ""
    yield WorkRow(
        line=number,
        key=key,
        title=title,
        description=_text(item.get("body")).strip(),
        status=status,
        status_category=category,
        assignee=assignees[0] if assignees else "",
        group=group,
        group_title=group,
        labels=_names(item.get("labels"), "name"),
        warnings=warnings,
    )


# A Projects view's export ---------------------------------------------------------------------

DUE_COLUMNS = ("Due date", "Due", "Target date", "End date")


def read_project(text: TextIO) -> Iterator[Item]:
    """The items of a GitHub Projects view's export (see the module's docstring)."""
    table = CsvFile(text)
    if not table.has("URL"):
        raise UnreadableFile(
            "The file has no URL column, which gives each item its key: show the URL field in "
            "the project's view and export it again."
        )
    keys = Keys()
    for row in table:
        if not isinstance(row, Row):
            yield row
            continue
        yield _item(row, keys)


def _item(row: Row, keys: Keys) -> Item:
    url = row.get("URL")
    title = one_line(row.get("Title"))
    if not url:
        return Problem(row.line, "draft items have no key; convert them to issues")
    key = issue_key(url) or url
    problem = keys.check(row.line, key, title)
    if problem:
        return problem
    warnings: list[str] = []
    assignees = split_list(row.get("Assignees"))
    if len(assignees) > 1:
        warnings.append(f"also assigned to {', '.join(assignees[1:])}: the first is kept")
    estimate = None
    if row.get("Estimate"):
        estimate = estimate_cell(row.get("Estimate"), "estimate", warnings)
    elif row.get("Size"):
        # A Size field is most often a single select (XS…XL): only a number is an estimate.
        estimate = estimate_cell(row.get("Size"), "size", [])
    due_column = next((name for name in DUE_COLUMNS if row.get(name)), "")
    parent = row.get("Parent issue")
    status = row.get("Status")
    group = row.get("Milestone")
    return WorkRow(
        line=row.line,
        key=key,
        title=title,
        status=status,
        status_category=status_from_name(status),
        assignee=assignees[0] if assignees else "",
        estimate=estimate,
        due=(date_cell(row.get(due_column), due_column.lower(), warnings) if due_column else None),
        group=group,
        group_title=group,
        parent=issue_key(parent) or parent,
        labels=split_list(row.get("Labels")),
        warnings=warnings,
    )


GITHUB = Reader(name="github", label="GitHub issues (JSON)", source="github", read=read_issues)
GITHUB_PROJECT = Reader(
    name="github_project",
    label="GitHub Projects export (TSV or CSV)",
    source="github",
    read=read_project,
)
