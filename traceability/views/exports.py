"""The exports, streamed whatever their size, as CSV that opens safely in a spreadsheet
(vindaris.lib.spreadsheet) or as JSON: the queues' lists and the trace's matrix and graph."""

import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_safe

from goals.forms import organization_today
from traceability import selectors, trees
from traceability.clock import local_date
from vindaris.lib.spreadsheet import csv_lines
from vindaris.tenancy.access import OrgRequest, org_view

# The queues: /o/<org_slug>/coverage/<kind>.csv -------------------------------------------------


def _member_name(membership: Any) -> str:
    return membership.user.display_name if membership is not None else ""


def _task_csv_rows(request: OrgRequest, kind: str) -> Iterator[list[Any]]:
    yield [
        "Task",
        "Title",
        "Status",
        "Goal",
        "Goal title",
        "Goal status",
        "Assignee",
        "Estimate",
        "Due date",
        "Kept",
        "Kept reason",
        "Goal change (suspect)",
        "Link confirmed at",
    ]
    for task in selectors.queue_export_tasks(
        organization=request.organization, viewer=request.membership, kind=kind
    ):
        goal = task.goal
        yield [
            task.key,
            task.title,
            task.get_status_display(),
            goal.key if goal else "",
            goal.title if goal else "",
            goal.get_status_display() if goal else "",
            _member_name(task.assignee),
            task.estimate,
            task.due_date,
            task.kept,  # type: ignore[attr-defined]  # an annotation the queryset adds
            task.kept_reason,
            goal.material_change if goal and task.is_suspect else "",
            task.link_confirmed_at,
        ]


def _starved_csv_rows(request: OrgRequest) -> Iterator[list[Any]]:
    yield ["Goal", "Title", "Priority", "Owner", "Parent", "Active since", "Period"]
    headline = selectors.coverage_headline(
        organization=request.organization, viewer=request.membership, now=timezone.now()
    )
    for goal in selectors.queue_export_starved(
        organization=request.organization, headline=headline
    ):
        yield [
            goal.key,
            goal.title,
            goal.get_priority_display(),
            _member_name(goal.owner),
            goal.parent.key if goal.parent else "",
            goal.activated_at or goal.created_at,
            goal.period_label,
        ]


def _stop_csv_rows(request: OrgRequest) -> Iterator[list[Any]]:
    yield ["Task", "Title", "Goal", "Goal title", "Priority", "Why", "Estimate", "Assignee"]
    organization = request.organization
    overview = selectors.coverage_overview(
        organization=organization, viewer=request.membership, now=timezone.now()
    )
    for item in selectors.stop_candidates_export(organization=organization, overview=overview):
        task, goal = item.task, item.task.goal
        yield [
            task.key,
            task.title,
            goal.key,
            goal.title,
            goal.get_priority_display(),
            item.why,
            task.estimate,
            _member_name(task.assignee),
        ]


@org_view()
@require_GET
def queue_csv(request: OrgRequest, kind: str) -> StreamingHttpResponse:
    """The whole queue as CSV, streamed whatever its length."""
    if kind == "starved":
        rows: Iterable[list[Any]] = _starved_csv_rows(request)
    elif kind == "stop":
        rows = _stop_csv_rows(request)
    else:
        rows = _task_csv_rows(request, kind)
    response = StreamingHttpResponse(csv_lines(rows), content_type="text/csv; charset=utf-8")
    today = local_date(request.organization, timezone.now())
    filename = f"{request.organization.slug}-{kind}-{today.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# The trace: /o/<slug>/trace/export.csv and .json ----------------------------------------------

MATRIX_HEADER = [
    "Root objective",
    "Goal path",
    "Goal",
    "Goal status",
    "Outcome",
    "Task",
    "Task title",
    "Status",
    "Assignee",
    "Estimate",
    # What a re-import needs beyond what a reader of the matrix looks at (the row's goal, its
    # outcome, its task): imports.readers.vindaris reads them back.
    "Goal title",
    "Parent goal",
    "Goal priority",
    "Goal owner email",
    "Goal start",
    "Goal end",
    "Confidential",
    "Outcome unit",
    "Outcome baseline",
    "Outcome target",
    "Outcome current",
    "Outcome direction",
    "Outcome due",
    "Assignee email",
    "Due date",
]


def _number(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _matrix_rows(request: OrgRequest) -> Iterator[list[Any]]:
    yield MATRIX_HEADER
    for row in trees.traceability_matrix(
        organization=request.organization, membership=request.membership
    ):
        labels = [f"{key} {title}" for key, title in row.path]
        goal = bool(row.path)
        cells = [
            labels[0] if labels else "",
            " > ".join(labels),
            row.path[-1][0] if goal else "",
            row.goal_status,
            row.outcome,
            row.task_key,
            row.task_title,
            row.task_status,
            row.assignee,
            row.estimate,
            row.path[-1][1] if goal else "",
            row.path[-2][0] if len(row.path) > 1 else "",
            f"P{row.goal_priority}" if row.goal_priority else "",
            row.goal_owner_email,
            row.goal_start,
            row.goal_end,
            row.goal_confidential if goal else None,
            row.outcome_unit,
            _number(row.outcome_baseline),
            _number(row.outcome_target),
            _number(row.outcome_current),
            row.outcome_direction,
            row.outcome_due,
            row.assignee_email,
            row.task_due,
        ]
        yield cells


def _trace_filename(request: OrgRequest, extension: str) -> str:
    today = organization_today(request.organization)
    return f"{request.organization.slug}-trace-{today.isoformat()}.{extension}"


@org_view()
@require_safe
def trace_export_csv(request: OrgRequest) -> StreamingHttpResponse:
    """The traceability matrix: one row per task (root objective, goal path, outcome, task,
    status, assignee, estimate), plus a row for each goal without a task of its own and each
    outcome without a task; then the goal's, outcome's and task's other fields, so that the
    file imports again (imports.readers.vindaris). Streamed."""
    response = StreamingHttpResponse(
        csv_lines(_matrix_rows(request)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_trace_filename(request, "csv")}"'
    return response


def _graph_chunks(request: OrgRequest) -> Iterator[str]:
    organization, membership = request.organization, request.membership
    head = {
        "organization": {"slug": organization.slug, "name": organization.name},
        "generated_at": timezone.now().isoformat(),
    }
    yield json.dumps(head)[:-1] + ', "nodes": ['
    for i, node in enumerate(trees.graph_nodes(organization=organization, membership=membership)):
        yield ("," if i else "") + "\n" + json.dumps(node)
    yield '\n], "edges": ['
    for i, edge in enumerate(trees.graph_edges(organization=organization, membership=membership)):
        yield ("," if i else "") + "\n" + json.dumps(edge)
    yield "\n]}\n"


@org_view()
@require_safe
def trace_export_json(request: OrgRequest) -> StreamingHttpResponse:
    """The graph for other tools: goals, outcomes and tasks as nodes, their links as edges.
    Streamed."""
    response = StreamingHttpResponse(_graph_chunks(request), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{_trace_filename(request, "json")}"'
    return response
