"""CSV that opens safely in a spreadsheet, streamed a row at a time."""

import csv
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

# A spreadsheet runs a cell starting with one of these as a formula: such text gets a quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def cell(value: Any) -> Any:
    """A value as a spreadsheet should show it, never a formula it runs: None is empty, a
    boolean yes or no, a date ISO 8601, and text starting with = + - @ (or a tab or line break)
    gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return value
    text = value.isoformat() if isinstance(value, date | datetime) else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object whose write returns the line: csv.writer's output, one row a time."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Each row as one CSV line, every value through `cell`."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([cell(value) for value in row])
