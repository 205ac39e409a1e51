"""What a page repeats for each of its fifty tasks, made once per page (or per process) instead
of once per row: the status options, the task URLs, the rows' CSRF field, the credit boxes."""

from functools import lru_cache
from typing import Any

from django import template
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

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
    page = context.render_context.dicts[0]
    if "row_csrf_token" not in page:
        page["row_csrf_token"] = csrf_input(context["request"])
    return page["row_csrf_token"]


@register.simple_tag
def credit_checklist(tasks: list[Any], outcome: Any, checked: set[str]) -> SafeString:
    """The check-in's "What moved this?" boxes: one per task a check-in of `outcome` may credit,
    ticked when in `checked` (task ids as strings); a page draws them for every outcome."""
    aims = format_html(' <span class="muted">(aims at {})</span>', outcome.key)
    return format_html_join(
        "\n",
        '<li><input type="checkbox" name="credited_tasks" value="{}" id="{}"{}>\n'
        '  <label for="{}">{} {}{}</label></li>',
        (
            (
                t.pk,
                box := f"checkin-{outcome.number}-credit-{t.number}",
                " checked" if str(t.pk) in checked else "",
                box,
                t.key,
                t.title,
                aims if t.outcome_id == outcome.pk else "",
            )
            for t in tasks
        ),
    )
