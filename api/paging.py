"""Cursor pagination: each list has a stable order (by number, or by position in a sorted
table) and hands out an opaque cursor naming where the next page starts. A cursor is the
page's position encoded, not signed: it names nothing a member could not ask for anyway."""

import base64
import binascii
import json
from typing import Annotated, Any

from ninja import Field

from . import problems

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

Limit = Annotated[
    int, Field(ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT}).")
]
Cursor = Annotated[
    str | None,
    Field(max_length=200, description="The `next_cursor` of the previous page."),
]


def encode(kind: str, position: int) -> str:
    raw = json.dumps([kind, position], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None, kind: str) -> int | None:
    """The position a cursor of this list names (None without a cursor); a cursor that is not
    one of this list's is a 422 on `cursor`."""
    if cursor is None or cursor == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value: Any = json.loads(raw)
    except (binascii.Error, ValueError):
        value = None
    if (
        isinstance(value, list)
        and len(value) == 2
        and value[0] == kind
        and isinstance(value[1], int)
        and not isinstance(value[1], bool)
        and 0 <= value[1] < 2**62
    ):
        return value[1]
    raise problems.field_error("cursor", "This cursor does not belong to this list.")


def page(rows: list[Any], limit: int, kind: str, position_of: Any) -> tuple[list[Any], str | None]:
    """The first `limit` of `rows` (fetched `limit + 1`), and the cursor of what follows."""
    if len(rows) > limit:
        return rows[:limit], encode(kind, position_of(rows[limit - 1]))
    return rows, None
