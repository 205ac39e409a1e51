"""Asana's CSV export of a project (or a search): every task is work, grouped by its project.

- `key` is the `Task ID`; `assignee` the `Assignee Email`, else the `Assignee` name.
- `group` is the first of the task's `Projects` (the name is both key and title); a task in
  several projects is grouped under the first and the others are named in a warning. A subtask
  listed without a project takes its parent's group.
- `Parent task` holds the parent's *name* (an id is taken too): it becomes the parent's Task ID
  when exactly one task earlier in the file has that name. A name no earlier task has, or that
  several have, leaves the task without a parent, with a warning saying why (Asana lists a
  subtask after its parent, so this is a name the export left out or a repeated one).
- `status` is "Completed" when `Completed At` has a date (`status_category` done), otherwise the
  task's section (`Section/Column`, or "Open"), `status_category` being in_progress or blocked
  when the section's name says so and todo otherwise.
- `labels` are the `Tags`; `description` the `Notes`; the estimate the first of Estimate,
  Estimated time, Story Points, Points with a value.
"""

from collections.abc import Iterator
from typing import TextIO

from imports.readers.base import BLOCKED, DONE, IN_PROGRESS, TODO, Item, Reader, WorkRow
from imports.readers.cells import (
    Keys,
    date_cell,
    estimate_cell,
    one_line,
    split_list,
    status_from_name,
)
from imports.readers.text import CsvFile, Row

REQUIRED = ("Task ID", "Name")

ESTIMATE_COLUMNS = ("Estimate", "Estimated time", "Story Points", "Points")

# A name several tasks have: not a parent anyone can be sure of.
_SEVERAL = ""


def read(text: TextIO) -> Iterator[Item]:
    """The tasks of an Asana CSV export, in file order (see the module's docstring)."""
    table = CsvFile(text)
    keys = Keys()
    id_by_name: dict[str, str] = {}
    group_of: dict[str, str] = {}
    for row in table:
        if not isinstance(row, Row):
            yield row
            continue
        key = row.get("Task ID")
        title = one_line(row.get("Name"))
        problem = keys.check(row.line, key, title)
        if problem:
            yield problem
            continue
        warnings: list[str] = []
        parent = ""
        parent_name = row.get("Parent task")
        if parent_name:
            if parent_name in group_of:
                parent = parent_name
            elif id_by_name.get(parent_name) == _SEVERAL:
                warnings.append(f"several tasks are named {parent_name!r}: left without a parent")
            elif parent_name in id_by_name:
                parent = id_by_name[parent_name]
            else:
                warnings.append(
                    f"parent task {parent_name!r} is not earlier in the file: left without a parent"
                )
        id_by_name[title] = _SEVERAL if title in id_by_name else key
        projects = split_list(row.get("Projects"))
        if projects:
            group = projects[0]
            if len(projects) > 1:
                warnings.append(
                    f"also in projects {', '.join(projects[1:])}: grouped under {group} only"
                )
        else:
            group = group_of.get(parent, "")
        group_of[key] = group
        section = row.get("Section/Column")
        if row.get("Completed At"):
            status, category = "Completed", DONE
        else:
            status = section or "Open"
            named = status_from_name(section)
            category = named if named in (IN_PROGRESS, BLOCKED) else TODO
        estimate_column = next((name for name in ESTIMATE_COLUMNS if row.get(name)), "")
        yield WorkRow(
            line=row.line,
            key=key,
            title=title,
            description=row.raw("Notes").strip(),
            status=status,
            status_category=category,
            assignee=row.get("Assignee Email") or row.get("Assignee"),
            estimate=(
                estimate_cell(row.get(estimate_column), estimate_column.lower(), warnings)
                if estimate_column
                else None
            ),
            due=date_cell(row.get("Due Date"), "due date", warnings),
            group=group,
            group_title=group,
            parent=parent,
            labels=split_list(row.get("Tags")),
            warnings=warnings,
        )


ASANA = Reader(name="asana", label="Asana CSV", source="asana", read=read)
