"""Linear's CSV export: every issue is work, grouped by its project.

- `group` is the issue's `Project` (the name is both the key and the title). An issue with no
  project but with `Initiatives` is grouped under its first initiative, as the group
  "Initiative: <name>" (key and title alike, so that it never meets a project of the same name);
  further initiatives are named in a warning.
- `status_category`: `done` when `Completed` has a date, `cancelled` when `Canceled` has one,
  else from the status name (Backlog, Todo, Triage → todo; In Progress, In Review →
  in_progress; Done → done; Canceled, Duplicate → cancelled), "" for a custom name.
- `parent` is the identifier at the start of `Parent issue` ("ENG-12").
- `labels` come from `Labels`, one cell separated by commas.
- Linear writes a leading `'` before a cell starting with `+ - = @` so that a spreadsheet does
  not run it as a formula: that quote is dropped from every cell.
"""

import re
from collections.abc import Iterator
from typing import TextIO

from imports.readers.base import CANCELLED, DONE, Item, Reader, WorkRow
from imports.readers.cells import (
    Keys,
    date_cell,
    estimate_cell,
    one_line,
    split_list,
    status_from_name,
)
from imports.readers.text import CsvFile, Row

REQUIRED = ("ID", "Title", "Team")

INITIATIVE = "Initiative: "

IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9]*-\d+")


def unguard(value: str) -> str:
    """A cell without the quote Linear puts before text starting with + - = or @."""
    if len(value) > 1 and value[0] == "'" and value[1] in "+-=@":
        return value[1:]
    return value


def read(text: TextIO) -> Iterator[Item]:
    """The issues of a Linear CSV export, in file order (see the module's docstring)."""
    table = CsvFile(text)
    keys = Keys()
    for row in table:
        if not isinstance(row, Row):
            yield row
            continue

        def cell(name: str, row: Row = row) -> str:
            return unguard(row.get(name))

        key = cell("ID")
        title = one_line(cell("Title"))
        problem = keys.check(row.line, key, title)
        if problem:
            yield problem
            continue
        warnings: list[str] = []
        group = cell("Project")
        if not group:
            initiatives = [unguard(name) for name in split_list(row.get("Initiatives"))]
            if initiatives:
                group = INITIATIVE + initiatives[0]
                if len(initiatives) > 1:
                    warnings.append(
                        f"also under initiatives {', '.join(initiatives[1:])}: grouped under "
                        f"{initiatives[0]} only"
                    )
        status = cell("Status")
        if row.get("Completed"):
            category = DONE
        elif row.get("Canceled"):
            category = CANCELLED
        else:
            category = status_from_name(status)
        parent = cell("Parent issue")
        if match := IDENTIFIER.match(parent):
            parent = match[0]
        yield WorkRow(
            line=row.line,
            key=key,
            title=title,
            description=unguard(row.raw("Description").strip()),
            status=status,
            status_category=category,
            assignee=cell("Assignee"),
            estimate=estimate_cell(cell("Estimate"), "estimate", warnings),
            due=date_cell(cell("Due Date"), "due date", warnings),
            group=group,
            group_title=group,
            parent=parent,
            labels=[unguard(label) for label in split_list(row.get("Labels"))],
            warnings=warnings,
        )


LINEAR = Reader(name="linear", label="Linear CSV", source="linear", read=read)
