"""Events for webhooks, recorded by the writes themselves: an outbox.

A service that changes a task, a goal, a check-in or a flag records what happened as a row of
the webhooks app's event table in its own transaction: the event exists exactly when the change
does (a change that rolls back records nothing) and the write never waits for a network. The
webhooks app's dispatcher (webhooks.tasks.dispatch_webhooks, every few seconds) turns new
events into deliveries, one per endpoint subscribed to the event's type.

Only organizations with an active endpoint subscribed to the type need the rows: each
statement here is one INSERT … SELECT whose condition asks that of the organization's
endpoints (a handful of rows, read through their primary key), so an organization without
webhooks pays one short statement per write and stores nothing. Bulk writes (imports, the
reconciler's flags) record all their events in one statement, never row by row.

Apps lower in the dependency chain (goals, work, traceability) call this module without
importing the webhooks app; its tables are named here."""

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import connection

TASK_CREATED = "task.created"
TASK_UPDATED = "task.updated"
TASK_MOVED = "task.moved"
GOAL_UPDATED = "goal.updated"
CHECK_IN_CREATED = "check_in.created"
FLAG_RAISED = "flag.raised"
FLAG_RESOLVED = "flag.resolved"

TYPES: dict[str, str] = {
    TASK_CREATED: "A task was created (on a goal's page, captured, through the API or imported)",
    TASK_UPDATED: "A task's fields, status or link confirmation changed",
    TASK_MOVED: "A task moved to another goal",
    GOAL_UPDATED: "A goal's fields changed",
    CHECK_IN_CREATED: "A check-in recorded a new value of an outcome",
    FLAG_RAISED: "A gap was flagged (orphaned, stranded, suspect or starved)",
    FLAG_RESOLVED: "A flag was resolved",
}

EVENT_TABLE = "webhooks_event"
ENDPOINT_TABLE = "webhooks_endpoint"

# The organization has an active endpoint subscribed to the type (pinned to the organization).
_SUBSCRIBED = f"""
    EXISTS (SELECT 1 FROM {ENDPOINT_TABLE} ep
             WHERE ep.organization_id = %(org)s AND ep.active AND %(type)s = ANY(ep.events))
"""  # noqa: S608 - table name from a constant


def _enabled() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ENABLED", True))


def record(organization_id: int, event_type: str, object_id: int) -> None:
    """Record one event about the object `object_id` (a task's, goal's, check-in's or flag's
    id), in the current transaction: one statement, which stores nothing when no active
    endpoint of the organization wants the type."""
    record_many(organization_id, event_type, [object_id])


def record_many(organization_id: int, event_type: str, object_ids: Sequence[int]) -> None:
    """Record one event per object, in one statement."""
    if not object_ids or not _enabled():
        return
    record_select(
        organization_id,
        event_type,
        "SELECT unnest(%(ids)s::bigint[])",
        {"ids": list(object_ids)},
    )


def record_select(
    organization_id: int, event_type: str, select_sql: str, params: Mapping[str, Any]
) -> None:
    """Record one event per id that `select_sql` yields (a SELECT of one bigint column; its
    tables pinned to `%(org)s`, which it may use with its own named parameters): one
    INSERT … SELECT, whose check of the endpoints runs once."""
    if event_type not in TYPES:
        raise ValueError(f"Unknown event type: {event_type}")
    if not _enabled():
        return
    sql = f"""
        INSERT INTO {EVENT_TABLE} (organization_id, event_id, type, object_id, occurred_at,
                                   dispatched_at)
        SELECT %(org)s, gen_random_uuid(), %(type)s, s.object_id, clock_timestamp(), NULL
          FROM ({select_sql}) AS s(object_id)
         WHERE {_SUBSCRIBED}
    """  # noqa: S608 - table names from constants; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, "org": organization_id, "type": event_type})


def insert_sql(rows_sql: str) -> str:
    """An INSERT of one event per (type, object_id) row of `rows_sql`, each kept when an active
    endpoint of organization `%(org)s` wants its type: for a statement's WITH list (a
    data-modifying CTE, run with the statement that made the change, e.g. the reconciler's
    flags). "" when events are off."""
    if not _enabled():
        return ""
    return f"""
        INSERT INTO {EVENT_TABLE} (organization_id, event_id, type, object_id, occurred_at,
                                   dispatched_at)
        SELECT %(org)s, gen_random_uuid(), s.type, s.object_id, clock_timestamp(), NULL
          FROM ({rows_sql}) AS s(type, object_id)
         WHERE EXISTS (SELECT 1 FROM {ENDPOINT_TABLE} ep
                        WHERE ep.organization_id = %(org)s AND ep.active
                          AND s.type = ANY(ep.events))
    """  # noqa: S608 - table names from constants; values are parameters
