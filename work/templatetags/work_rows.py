"""What a page repeats for each of its fifty tasks, made once per page (or per process) instead
of once per row: the status options, the task URLs, the rows' CSRF field, the credit boxes."""

from functools import lru_cache
from typing import Any
from urllib.parse import quote

from django import template
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import escape, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from work.models import TaskStatus

register = template.Library()


def _options(current: str) -> SafeString:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, " selected" if value == current else "", label)
            for value, label in TaskStatus.choices
        ),
    )


# The <option>s of a row's status <select>, for each status a task may be in.
_STATUS_OPTIONS = {status: _options(status) for status in TaskStatus.values}
_NONE_SELECTED = _options("")


@register.filter
def status_options(status: str) -> SafeString:
    """The status <select>'s options with `status` selected."""
    return _STATUS_OPTIONS.get(status, _NONE_SELECTED)


# A task's or a goal's URLs differ only in its number: each pattern is reversed once per
# organization and the number put in its place (reversing costs more than the rest of a cell).
_NUMBER = 999_999_999


@lru_cache(maxsize=4096)
def _url_parts(name: str, org_slug: str) -> tuple[str, str]:
    head, _, tail = reverse(name, args=[org_slug, _NUMBER]).rpartition(f"/{_NUMBER}/")
    return f"{head}/", f"/{tail}"


@register.simple_tag(takes_context=True)
def numbered_url(context: template.Context, name: str, number: int) -> str:
    """`{% url name organization.slug number %}` for an organization URL pattern whose one
    other argument is a task's or a goal's number."""
    head, tail = _url_parts(name, context["organization"].slug)
    return f"{head}{int(number)}{tail}"


@register.simple_tag(takes_context=True)
def row_csrf_token(context: template.Context) -> SafeString:
    """`{% csrf_token %}` for the forms of every row of a page, made once per page."""
    # The render context's first scope lasts the whole page (an included template gets its own).
    page: Any = context.render_context.dicts[0]
    if "row_csrf_token" not in page:
        page["row_csrf_token"] = csrf_input(context["request"])
    return page["row_csrf_token"]


@register.simple_tag(takes_context=True)
def credit_checklist(
    context: template.Context, tasks: list[Any], outcome: Any, checked: set[str]
) -> SafeString:
    """The check-in's "What moved this?" boxes: one per task a check-in of `outcome` may credit,
    ticked when in `checked` (task ids as strings); a page draws them for every outcome, so each
    task's label is escaped once per page."""
    page: Any = context.render_context.dicts[0]
    labels = page.setdefault("credit_labels", {})
    aims = f' <span class="muted">(aims at {escape(outcome.key)})</span>'
    number = int(outcome.number)
    boxes = []
    for t in tasks:
        label = labels.get(t.pk)
        if label is None:
            label = labels[t.pk] = f"{escape(t.key)} {escape(t.title)}"
        box = f"checkin-{number}-credit-{int(t.number)}"
        boxes.append(
            f'<li><input type="checkbox" name="credited_tasks" value="{int(t.pk)}" id="{box}"'
            f"{' checked' if str(t.pk) in checked else ''}>\n"
            f'  <label for="{box}">{label}{aims if t.outcome_id == outcome.pk else ""}</label></li>'
        )
    return mark_safe("\n".join(boxes))  # noqa: S308 - every value is escaped above


_ORPHANED = '<span class="badge badge-orphaned">Orphaned</span>'
_SUSPECT = (
    '<span class="badge badge-suspect">Suspect<span class="visually-hidden">: its goal changed'
    " materially</span></span>"
)
_NO_VALUE = '<span class="muted">—</span>'


def _flags(task: Any) -> str:
    """The row's flag badges (those of _task_badges.html), escaped."""
    stranded, suspect = task.is_stranded, task.is_suspect
    kept = task.is_kept
    parts = [_ORPHANED] if task.is_orphaned else []
    if stranded and not kept:
        parts.append(
            '<span class="badge badge-stranded">Stranded<span class="visually-hidden">: its goal'
            f" is {escape(str(task.goal.get_status_display()).lower())}</span></span>"
        )
    if suspect:
        parts.append(_SUSPECT)
    if kept:
        parts.append(
            f'<span class="badge badge-kept" title="{escape(task.kept_reason)}">Kept'
            '<span class="visually-hidden">: stranded, kept on purpose</span></span>'
        )
    return "".join(parts)


@register.simple_tag(takes_context=True)
def task_rows(context: template.Context, rows: Any, layout: str) -> SafeString:
    """The rows of a task table (templates/work/_task_rows.html says what they hold), drawn in
    one pass with each value escaped once: a page draws fifty, and a template spends more on
    looking names up than on the rows themselves."""
    slug = context["organization"].slug
    membership = context.get("membership")
    can_plan = bool(membership and membership.can_plan)
    next_url = context.get("next_url", "")
    hidden = (
        f'{row_csrf_token(context)}<input type="hidden" name="layout" value="{escape(layout)}">'
        f'<input type="hidden" name="next" value="{escape(next_url)}">'
        if can_plan
        else ""
    )
    status_head, status_tail = _url_parts("task_status", slug)
    detail_head, detail_tail = _url_parts("task_detail", slug)
    goal_head, goal_tail = _url_parts("goal_detail", slug)
    move_head, move_tail = _url_parts("task_move", slug)
    confirm_head, confirm_tail = _url_parts("task_confirm", slug)
    move_next = escape(f"?next={quote(str(next_url), safe='/')}")
    goal_layout, work_layout = layout == "goal", layout == "work"
    out = []
    for task in rows:
        n = int(task.number)
        key = escape(task.key)
        title = escape(task.title)
        status_url = f"{status_head}{n}{status_tail}"
        goal_cell = ""
        if work_layout:
            goal = task.goal
            goal_cell = (
                f'\n  <td><a href="{goal_head}{int(goal.number)}{goal_tail}"'
                f' title="{escape(goal.title)}">{escape(goal.key)}</a>'
                f' <span class="muted">{escape(Truncator(goal.title).chars(32))}</span></td>'
                if goal
                else '\n  <td><span class="muted">No goal</span></td>'
            )
        if can_plan:
            status_cell = (
                f'<form method="post" action="{status_url}" class="inline-form"\n'
                f'          hx-post="{status_url}" hx-target="#task-{n}" hx-swap="outerHTML">\n'
                f"      {hidden}\n"
                f'      <label class="visually-hidden" for="task-{n}-status">Status of {key}'
                "</label>\n"
                f'      <select name="status" id="task-{n}-status">{status_options(task.status)}'
                "</select>\n"
                '      <button type="submit" class="secondary small">Set<span'
                f' class="visually-hidden"> status of {key}</span></button>\n'
                "    </form>"
            )
        else:
            status_cell = (
                f'<span class="badge status-{escape(task.status)}">'
                f"{escape(task.get_status_display())}</span>"
            )
        assignee = task.assignee
        due = task.due_date
        outcome_cell = ""
        if goal_layout:
            outcome = task.outcome
            outcome_cell = (
                f'\n  <td><a href="#outcome-{int(outcome.number)}" title="{escape(outcome.title)}">'
                f"{escape(outcome.key)}</a></td>"
                if outcome
                else f"\n  <td>{_NO_VALUE}</td>"
            )
        actions_cell = ""
        if goal_layout and can_plan:
            confirm = ""
            if task.is_suspect:
                confirm_url = f"{confirm_head}{n}{confirm_tail}"
                confirm = (
                    f'\n      <form method="post" action="{confirm_url}" class="inline-form"\n'
                    f'            hx-post="{confirm_url}" hx-target="#task-{n}"'
                    ' hx-swap="outerHTML">\n'
                    f"        {hidden}\n"
                    '        <button type="submit" class="small">Confirm link<span'
                    f' class="visually-hidden"> of {key}</span></button>\n'
                    "      </form>\n"
                    f'      <form method="post" action="{status_url}" class="inline-form"\n'
                    f'            hx-post="{status_url}" hx-target="#task-{n}"'
                    ' hx-swap="outerHTML"\n'
                    f'            hx-confirm="Cancel {key} {title}?">\n'
                    f'        {hidden}<input type="hidden" name="status" value="cancelled">\n'
                    '        <button type="submit" class="secondary small">Cancel task<span'
                    f' class="visually-hidden"> {key}</span></button>\n'
                    "      </form>"
                )
            actions_cell = (
                '\n  <td class="row-actions">\n    <div class="actions">\n'
                f'      <a href="{move_head}{n}{move_tail}{move_next}">Move<span'
                f' class="visually-hidden"> {key}</span></a>{confirm}\n'
                "    </div>\n  </td>"
            )
        out.append(
            f'<tr id="task-{n}" class="task-row{"" if task.is_live else " is-closed"}">\n'
            f'  <th scope="row"><a href="{detail_head}{n}{detail_tail}"><span class="key">{key}'
            f"</span> {title}</a></th>{goal_cell}\n"
            f"  <td>\n    {status_cell}\n  </td>\n"
            "  <td>"
            + (
                escape(assignee.user.display_name)
                if assignee
                else '<span class="muted">Unassigned</span>'
            )
            + "</td>\n"
            f'  <td class="num">{escape(task.estimate)}</td>\n'
            "  <td>"
            + (
                f'<time datetime="{date_format(due, "Y-m-d")}">{date_format(due, "j M Y")}</time>'
                if due
                else _NO_VALUE
            )
            + f"</td>{outcome_cell}\n"
            f'  <td class="flags">{_flags(task)}</td>{actions_cell}\n'
            "</tr>"
        )
    return mark_safe("\n".join(out))  # noqa: S308 - every value is escaped above
