"""Cells every reader reads the same way: keys and titles (with their limits), dates, estimates,
lists in one cell, and the statuses a tool's names commonly mean."""

import functools
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from imports.readers.base import (
    BLOCKED,
    CANCELLED,
    DONE,
    IN_PROGRESS,
    KEY_MAX,
    TITLE_MAX,
    TODO,
    Problem,
)


class Keys:
    """The keys a file has given so far, each with the line it was first on: a key seen twice is
    a problem on the second row (the first one stands)."""

    def __init__(self) -> None:
        self._first: dict[str, int] = {}

    def check(self, line: int, key: str, title: str) -> Problem | None:
        """The problem with this row's key or title, if any (its key is then remembered)."""
        if not key:
            return Problem(line, "no key")
        if len(key) > KEY_MAX:
            return Problem(line, f"key is {len(key)} characters; the limit is {KEY_MAX}")
        first = self._first.setdefault(key, line)
        if first != line:
            return Problem(line, f"duplicate key {key}, first on line {first}")
        if not title:
            return Problem(line, "no title")
        if len(title) > TITLE_MAX:
            return Problem(line, f"title is {len(title)} characters; the limit is {TITLE_MAX}")
        return None

    def __contains__(self, key: str) -> bool:
        return key in self._first


def one_line(value: str) -> str:
    """A title as kept: trimmed, line breaks and runs of spaces inside made single spaces."""
    return " ".join(value.split())


def split_list(value: str, separator: str = ",") -> list[str]:
    """The items of a list written in one cell ("Bug, Frontend"), trimmed, empty ones left out,
    each once, in order."""
    items: list[str] = []
    for item in value.split(separator):
        item = item.strip()
        if item and item not in items:
            items.append(item)
    return items


def unique(values: list[str]) -> list[str]:
    """Each value once, in order."""
    return list(dict.fromkeys(values))


# Dates ----------------------------------------------------------------------------------------

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$")
# Jira: 25/Jun/20 12:44, 25/Jun/20 12:44 PM, 25/Jun/2020, 25-Jun-2020
_DAY_MONTH_NAME = re.compile(r"(\d{1,2})[/ -]([A-Za-z]{3,9})\.?[/ -](\d{2}|\d{4})(?:[ ,T].*)?$")
# Mar 1, 2024 · Fri Mar 01 2024 10:21:33 GMT+0000 (the text of a JavaScript date) · March 1 2024
_MONTH_NAME_DAY = re.compile(
    r"(?:[A-Za-z]{3,9},? )?([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})(?:[ ,T].*)?$"
)
_NUMERIC = re.compile(r"(\d{1,2})([/.])(\d{1,2})\2(\d{4}|\d{2})(?:[ ,T].*)?$")


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def parse_date(value: str) -> date:
    """The day a tool's date or timestamp cell names, its time of day left out.

    Takes ISO 8601 (`2020-06-25`, `2020-06-25T12:44:00.000+0200`, `2020-06-25 12:44`), Jira's
    `25/Jun/20 12:44` (with or without AM/PM, two- or four-digit year), `Mar 1, 2024` and a
    JavaScript date's text (`Fri Mar 01 2024 10:21:33 GMT+0000 (…)`), and `25/06/2020` or
    `06/25/2020` when the order shows (a day above 12); raises ValueError with the reason
    otherwise."""
    text = value.strip()
    if match := _ISO.match(text):
        return date(int(match[1]), int(match[2]), int(match[3]))
    if match := _DAY_MONTH_NAME.match(text):
        month = MONTHS.get(match[2].casefold())
        if month is None:
            raise ValueError(f"{match[2]!r} is not a month")
        return date(_year(match[3]), month, int(match[1]))
    if match := _MONTH_NAME_DAY.match(text):
        month = MONTHS.get(match[1].casefold())
        if month is None:
            raise ValueError(f"{match[1]!r} is not a month")
        return date(int(match[3]), month, int(match[2]))
    if match := _NUMERIC.match(text):
        first, second, year = int(match[1]), int(match[3]), _year(match[4])
        if first > 12 >= second:
            return date(year, second, first)
        if second > 12 >= first:
            return date(year, first, second)
        if first > 12 or second > 12:
            raise ValueError("no month 13 or above")
        if first == second:
            return date(year, first, first)
        raise ValueError("the day and the month could be either way round")
    raise ValueError("not a date")


def date_cell(value: str, what: str, warnings: list[str]) -> date | None:
    """The date a cell holds, None when it is empty; a cell that is not a date adds a warning
    and gives None."""
    if not value.strip():
        return None
    try:
        return parse_date(value)
    except ValueError as error:
        warnings.append(f"{what} {value.strip()!r} is not a date ({error}): left empty")
        return None


# Estimates ------------------------------------------------------------------------------------

ESTIMATE_MAX = Decimal(10_000)


def estimate_cell(value: str, what: str, warnings: list[str]) -> Decimal | None:
    """The number a points or estimate cell holds (a decimal comma taken too), None when it is
    empty; a cell that is not a number from 0 to 10,000 adds a warning and gives None."""
    text = value.strip()
    if not text:
        return None
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        warnings.append(f"{what} {value.strip()!r} is not a number: left empty")
        return None
    if number < 0 or number > ESTIMATE_MAX:
        warnings.append(f"{what} {value.strip()!r} is not between 0 and 10,000: left empty")
        return None
    # 3.0 is 3 and 2.50 is 2.5 (normalize alone would make 30 into 3E+1).
    return (
        number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()
    )


# Statuses -------------------------------------------------------------------------------------

# Status names most tools ship, and the status of ours each means. A name not here is left
# for the user to map ("").
STATUS_NAMES = {
    TODO: (
        "open",
        "to do",
        "todo",
        "backlog",
        "new",
        "triage",
        "selected for development",
        "ready",
        "ready for development",
        "planned",
        "not started",
        "reopened",
        "no status",
        "icebox",
        "unstarted",
    ),
    IN_PROGRESS: (
        "in progress",
        "in review",
        "in development",
        "code review",
        "review",
        "in qa",
        "qa",
        "testing",
        "in test",
        "doing",
        "started",
        "ready for review",
        "ready for qa",
    ),
    BLOCKED: ("blocked", "on hold", "waiting", "impeded", "stuck"),
    DONE: ("done", "closed", "resolved", "complete", "completed", "shipped", "released", "fixed"),
    CANCELLED: (
        "won't do",
        "wont do",
        "won't fix",
        "wontfix",
        "cancelled",
        "canceled",
        "duplicate",
        "declined",
        "rejected",
        "obsolete",
        "abandoned",
        "not planned",
        "cannot reproduce",
    ),
}
_STATUS_BY_NAME = {name: status for status, names in STATUS_NAMES.items() for name in names}


@functools.lru_cache(maxsize=4096)  # a file has a few status names, on every row
def _status_key(name: str) -> str:
    return " ".join(name.replace("’", "'").replace("_", " ").replace("-", " ").split()).casefold()


def status_from_name(name: str) -> str:
    """Our status a tool's status name commonly means ("In Review" → in_progress), "" when the
    name is not a common one."""
    return _STATUS_BY_NAME.get(_status_key(name), "")


def means_cancelled(name: str) -> bool:
    """Whether a status or resolution name says the work was dropped (Won't Do, Duplicate)."""
    return _STATUS_BY_NAME.get(_status_key(name)) == CANCELLED
