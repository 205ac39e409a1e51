"""The triage queues: /o/<org_slug>/coverage/<kind>/ (orphaned, stranded, suspect, starved, and
the full "what should we stop?" list, which works like one).

Every member sees them; leads and admins act on them through services.triage_apply, which goes
through the goals and work services (they write the history rows). An htmx action answers with
out-of-band swaps only: the rows that left the queue removed, the headline counts and the
messages refreshed; a plain POST redirects back to the page it came from.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from traceability import selectors, services
from traceability.forms import QUEUE_ACTIONS, GoalSearchForm, TriageForm, TriageSelectionForm
from vindaris.lib.htmx import is_fragment
from vindaris.lib.htmx import target as htmx_target
from vindaris.tenancy.access import OrgRequest, org_view
from vindaris.tenancy.models import Role
from work.forms import add_service_errors

from .common import (
    EXPLAINED,
    NEEDS_GOAL_ACTION,
    PICKER_KINDS,
    TITLES,
    cursor,
    next_url,
    query,
    queue_urls,
    trace_url,
)


def _goal_picker(request: OrgRequest, params: QueryDict) -> dict[str, Any]:
    search = GoalSearchForm(params)
    goals, more = selectors.active_goal_search(
        organization=request.organization, viewer=request.membership, q=search.query()
    )
    return {"goal_options": goals, "more_goals": more, "goal_q": search.query()}


def _queue_context(request: OrgRequest, kind: str) -> dict[str, Any]:
    """A queue's page, in a constant number of queries whatever its length."""
    organization = request.organization
    viewer = request.membership
    now = timezone.now()
    overview = (
        selectors.coverage_overview(organization=organization, viewer=viewer, now=now)
        if kind == "stop"
        else None
    )
    headline = (
        overview.headline
        if overview
        else selectors.coverage_headline(organization=organization, viewer=viewer, now=now)
    )
    can_act = viewer.can_lead
    ctx: dict[str, Any] = {
        "kind": kind,
        "title": TITLES[kind],
        "explained": EXPLAINED[kind],
        "headline": headline,
        "urls": queue_urls(request, kind),
        "actions": QUEUE_ACTIONS[kind],
        "can_act": can_act,
        "needs_goal": kind in PICKER_KINDS,
        "next_url": request.get_full_path(),
        "trace_url": trace_url(request),
        "older_query": "",
        "kept_older_query": "",
    }
    params = request.GET
    if kind == "starved":
        goals, after = selectors.starved_goals(
            organization=organization, headline=headline, after=params.get("after", "")
        )
        ctx.update(goals=goals, older_query=query(params, after=after) if after else "")
        ctx["paged"] = "after" in params
    elif overview is not None:
        items, after = selectors.stop_candidates(
            organization=organization, overview=overview, after=params.get("after", "")
        )
        ctx.update(stop_items=items, older_query=query(params, after=after) if after else "")
        ctx["paged"] = "after" in params
    else:
        before = cursor(params.get("before"))
        imported = cursor(params.get("import"))
        tasks, next_before = selectors.queue_tasks(
            organization=organization, viewer=viewer, kind=kind, before=before, imported=imported
        )
        ctx["imported"] = imported
        ctx.update(
            tasks=tasks, older_query=query(params, before=next_before) if next_before else ""
        )
        ctx["paged"] = before is not None
        if kind == "stranded":
            kept_before = cursor(params.get("kept_before"))
            kept, next_kept = selectors.queue_tasks(
                organization=organization, viewer=viewer, kind=kind, kept=True, before=kept_before
            )
            ctx.update(
                kept_tasks=kept,
                kept_older_query=query(params, kept_before=next_kept) if next_kept else "",
                kept_paged=kept_before is not None,
            )
    if can_act:
        if kind in PICKER_KINDS:
            ctx.update(_goal_picker(request, params))
        ctx["bulk_form"] = TriageForm(organization=organization, kind=kind, initial={"via": "bulk"})
    return ctx


@org_view()
@require_GET
def queue(request: OrgRequest, kind: str) -> HttpResponse:
    return render(request, "traceability/queue.html", _queue_context(request, kind))


# Picking a goal: /o/<org_slug>/coverage/goals/ and /o/<org_slug>/coverage/<kind>/triage/ -------


@org_view(min_role=Role.LEAD)
@require_GET
def goal_options(request: OrgRequest) -> HttpResponse:
    """The goal picker's options for a text filter (the htmx side of the picker; without
    JavaScript the picker's search reloads its page with the filter)."""
    ctx = _goal_picker(request, request.GET)
    return render(request, "traceability/_queue_goal_options.html", ctx)


def _selected_rows(form: TriageForm | TriageSelectionForm, kind: str) -> list[Any]:
    """The rows named in a form that validated them; the valid ones of an invalid form."""
    name = "goals" if kind == "starved" else "tasks"
    rows = getattr(form, "cleaned_data", {}).get(name)
    return list(rows) if rows else []


def _triage_context(
    request: OrgRequest, kind: str, rows: list[Any], form: TriageForm, params: QueryDict
) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "kind": kind,
        "title": TITLES[kind],
        "urls": queue_urls(request, kind),
        "actions": QUEUE_ACTIONS[kind],
        "needs_goal": kind in PICKER_KINDS,
        "form": form,
        "next_url": next_url(request, queue_urls(request, kind).page),
        "can_act": True,
    }
    name = "goals" if kind == "starved" else "tasks"
    ctx[name] = rows
    ctx["search_hidden"] = [(name, row.number) for row in rows]
    if kind in PICKER_KINDS:
        ctx.update(_goal_picker(request, params))
    return ctx


@org_view(min_role=Role.LEAD)
@require_GET
def queue_triage(request: OrgRequest, kind: str) -> HttpResponse:
    """Act on chosen rows with a goal picker and a reason: inside a queue row for htmx (the
    row's "Link…" or "Move…"), as a page of its own without JavaScript."""
    selection = TriageSelectionForm(request.GET, organization=request.organization)
    rows = _selected_rows(selection, kind) if selection.is_valid() else []
    if not rows:
        raise Http404("Choose the rows to act on.")
    form = TriageForm(organization=request.organization, kind=kind, initial={"via": "pick"})
    ctx = _triage_context(request, kind, rows, form, request.GET)
    if is_fragment(request) and kind in PICKER_KINDS and len(rows) == 1:
        task = rows[0]
        ctx.update(
            task=task,
            action=NEEDS_GOAL_ACTION[kind],
            row_select_id=f"{kind}-task-{task.number}-goal",
        )
        return render(request, "traceability/queue_triage.html#row-picker", ctx)
    return render(request, "traceability/queue_triage.html", ctx)


# Acting: /o/<org_slug>/coverage/<kind>/act/ ---------------------------------------------------


def _listed(keys: list[str], noun: str) -> str:
    return ", ".join(keys) if len(keys) <= 3 else f"{len(keys)} {noun}s"


def _report(
    request: OrgRequest, kind: str, data: dict[str, Any], applied: services.Applied
) -> None:
    noun = "goal" if kind == "starved" else "task"
    if applied.keys:
        done = _listed(applied.keys, noun)
        goal = data.get("to_goal")
        text = {
            "link": f"Linked {done} to {goal.key if goal else ''}.",
            "move": f"Moved {done} to {goal.key if goal else ''}.",
            "cancel": f"Cancelled {done}.",
            "keep": f"Kept {done} going: {(data.get('reason') or '').strip()}",
            "confirm": f"Confirmed the link of {done}.",
            "hold": f"Put {done} on hold.",
        }[data["action"]]
        messages.success(request, text)
    if applied.gone:
        one = len(applied.gone) == 1
        state = "live" if kind == "stop" else kind
        messages.info(
            request,
            f"{_listed(applied.gone, noun)} {'is' if one else 'are'} no longer {state}: "
            f"nothing done to {'it' if one else 'them'}.",
        )


@org_view(min_role=Role.LEAD)
@require_POST
def queue_act(request: OrgRequest, kind: str) -> HttpResponse:
    """One triage action on one or several rows of a queue, through the services."""
    form = TriageForm(request.POST, organization=request.organization, kind=kind)
    applied = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            applied = services.triage_apply(
                organization=request.organization,
                actor=request.user,
                membership=request.membership,
                kind=kind,
                action=data["action"],
                rows=data["goals"] if kind == "starved" else data["tasks"],
                to_goal=data.get("to_goal"),
                reason=data.get("reason", ""),
            )
        except ValidationError as e:
            add_service_errors(form, e)
    if applied is None:
        return _refused(request, kind, form)
    _report(request, kind, form.cleaned_data, applied)
    if not is_fragment(request):
        return HttpResponseRedirect(next_url(request, queue_urls(request, kind).page))
    return _acted(request, kind, form, applied)


def _acted(
    request: OrgRequest, kind: str, form: TriageForm, applied: services.Applied
) -> HttpResponse:
    """Out-of-band swaps only: rows that left the queue removed, rows still in it re-rendered
    (a kept task moves to the kept list), the headline counts and the messages refreshed."""
    organization = request.organization
    viewer = request.membership
    headline = selectors.coverage_headline(
        organization=organization, viewer=viewer, now=timezone.now()
    )
    ctx: dict[str, Any] = {
        "kind": kind,
        "headline": headline,
        "urls": queue_urls(request, kind),
        "actions": QUEUE_ACTIONS[kind],
        "can_act": True,
        "needs_goal": kind in PICKER_KINDS,
        "next_url": next_url(request, queue_urls(request, kind).page),
        "changed": [],
    }
    if kind == "starved":
        ctx["removed"] = [g.number for g in applied.rows if g.pk not in headline.starved_ids]
    else:
        numbers = [t.number for t in applied.rows]
        still_in = selectors.queue_membership(
            organization=organization, viewer=viewer, kind=kind, numbers=numbers
        )
        ctx["removed"] = [n for n in numbers if n not in still_in]
        if kind != "stop" and still_in:
            changed = selectors.queue_tasks_by_number(
                organization=organization, viewer=viewer, numbers=still_in
            )
            for task in changed:
                task.kept = still_in[task.number]  # type: ignore[attr-defined]  # an annotation the queryset adds
            ctx["changed"] = changed
    if form.origin == "bulk":
        ctx["bulk_form"] = TriageForm(organization=organization, kind=kind, initial={"via": "bulk"})
        if kind in PICKER_KINDS:
            ctx.update(_goal_picker(request, QueryDict()))
    response = render(request, "traceability/queue.html#acted", ctx)
    response["HX-Reswap"] = "none"
    return response


def _refused(request: OrgRequest, kind: str, form: TriageForm) -> HttpResponse:
    """An invalid action writes nothing. htmx: the form it came from again, with its errors
    (from a single button, the errors as messages); otherwise the triage page with the form
    and its errors."""
    rows = _selected_rows(form, kind)
    if not is_fragment(request):
        ctx = _triage_context(request, kind, rows, form, request.POST)
        return render(request, "traceability/queue_triage.html", ctx, status=422)
    target, origin = htmx_target(request), form.origin
    ctx = _triage_context(request, kind, rows, form, QueryDict())
    if origin == "bulk":
        ctx["bulk_form"] = form
        template = "traceability/queue.html#bulk-form"
    elif origin == "pick" and len(rows) == 1 and kind in PICKER_KINDS and target:
        ctx.update(task=rows[0], action=NEEDS_GOAL_ACTION[kind])
        template = "traceability/queue_triage.html#pick-form"
    elif origin == "keep" and len(rows) == 1 and target:
        ctx.update(task=rows[0], keep_form=form)
        template = "traceability/_queue_task_row.html#keep-form"
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        response = render(request, "work/_oob_messages.html", status=422)
        response["HX-Reswap"] = "none"
        return response
    response = render(request, template, ctx, status=422)
    if target:
        response["HX-Retarget"] = f"#{target}"
    response["HX-Reswap"] = "outerHTML"
    return response
