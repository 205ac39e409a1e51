"""Work pages: the goal page (the planner's workspace), the task page and the work list.

Views are thin: resolve the organization (org_view) → bind a form → call a service → answer with
a fragment for htmx or a redirect otherwise. Every fragment is a partial of the page it lives on.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget, trigger_client_event

from goals import selectors as goal_selectors
from goals.models import Goal, Outcome
from goals.views import goal_or_404, outcome_or_404
from goals.visibility import can_change, can_share
from updates import selectors as update_selectors
from updates.forms import UpdateForm
from vindaris.lib.htmx import is_fragment
from vindaris.tenancy.access import OrgRequest, org_view
from vindaris.tenancy.models import Role

from . import selectors, services
from .forms import (
    PICK_MAX_LENGTH,
    CheckInForm,
    GoalTaskForm,
    QuickAddForm,
    Suggestions,
    TaskEditForm,
    TaskKeepForm,
    TaskMoveForm,
    TaskPasteForm,
    TaskStatusForm,
    WorkFilterForm,
    add_service_errors,
    goal_label,
    goal_note,
    member_label,
    outcome_label,
    render_suggestions,
)
from .models import Origin, Task, TaskStatus

GOAL_PAGE_TASKS = 50
# Where an inline task action was made: the row is re-rendered for that page.
ROW_LAYOUTS = {"goal": "work/goal_detail.html", "work": "work/work_list.html"}


def _task_or_404(request: OrgRequest, number: int) -> Task:
    """The organization's task, or 404: also for a task under a goal the member may not see."""
    task = selectors.task_get(
        organization=request.organization, number=number, viewer=request.membership
    )
    if task is None:
        raise Http404("No such task.")
    return task


def _next_url(request: OrgRequest, fallback: str) -> str:
    """The posted `next` page when it is one of ours, else `fallback`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only a path: redirect() would take any other word for a URL pattern name and raise.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _goal_url(request: OrgRequest, goal: Goal) -> str:
    return reverse("goal_detail", args=[request.organization.slug, goal.number])


def _task_url(request: OrgRequest, task: Task) -> str:
    return reverse("task_detail", args=[request.organization.slug, task.number])


def _goal_list_url(request: OrgRequest) -> str:
    return reverse("goal_list", kwargs={"org_slug": request.organization.slug})


# The goal page: /o/<slug>/goals/<n>/ ----------------------------------------------------------


@dataclass
class OutcomeCard:
    outcome: Outcome
    # The check-in form, when open: a planner opens it from the card (htmx, or the goal page
    # with ?check_in=<outcome number>); a page does not draw one per outcome.
    form: CheckInForm | None
    # Tasks a check-in may credit: those shown on the page, the outcome's own first.
    credit_tasks: list[Task]


def _goal_fragment_context(
    request: OrgRequest, goal: Goal, counts: selectors.GoalCounts | None = None, **extra: Any
) -> dict[str, Any]:
    """What every fragment of the goal page needs: the goal, its counts (read unless given), the
    viewer's rights."""
    goal_url = _goal_url(request, goal)
    return {
        "goal": goal,
        "counts": counts if counts is not None else selectors.goal_counts(goal=goal),
        "can_plan": request.membership.can_plan,
        "can_lead": request.membership.can_lead,
        "goal_url": goal_url,
        "next_url": goal_url,
        **extra,
    }


def _outcome_cards(
    goal: Goal,
    counts: selectors.GoalCounts,
    tasks: list[Task],
    forms: dict[int, CheckInForm],
    open_number: int | None = None,
) -> list[OutcomeCard]:
    """The goal's outcome cards; those in `forms` (by outcome id) with their check-in open, and
    that of outcome number `open_number` with a fresh one."""
    creditable = [t for t in tasks if t.status != TaskStatus.CANCELLED]
    cards = []
    for outcome in selectors.outcomes_with_tasks(goal=goal, counts=counts):
        form = forms.get(outcome.pk)
        if form is None and outcome.number == open_number:
            form = _opened_check_in(goal, outcome)
        own = [t for t in creditable if t.outcome_id == outcome.pk] if form else []
        others = [t for t in creditable if t.outcome_id != outcome.pk] if form else []
        cards.append(OutcomeCard(outcome=outcome, form=form, credit_tasks=own + others))
    return cards


def _opened_check_in(goal: Goal, outcome: Outcome) -> CheckInForm:
    """A fresh check-in form, opened by the planner: the cursor goes to its first field."""
    form = CheckInForm(goal=goal, outcome=outcome)
    form.fields["value"].widget.attrs["autofocus"] = True
    return form


def _goal_page_context(
    request: OrgRequest,
    goal: Goal,
    *,
    task_form: GoalTaskForm | None = None,
    paste_form: TaskPasteForm | None = None,
    check_in_forms: dict[int, CheckInForm] | None = None,
    open_check_in: int | None = None,
) -> dict[str, Any]:
    """The whole goal page, in a fixed number of queries whatever the number of tasks; the
    check-in of outcome number `open_check_in` open (or those of `check_in_forms`)."""
    tasks = selectors.tasks_of_goal(goal=goal, limit=GOAL_PAGE_TASKS + 1)
    more_tasks = len(tasks) > GOAL_PAGE_TASKS
    tasks = tasks[:GOAL_PAGE_TASKS]
    counts = selectors.goal_counts(goal=goal)
    if not request.membership.can_plan:
        open_check_in = None
    outcome_cards = _outcome_cards(goal, counts, tasks, check_in_forms or {}, open_check_in)
    task_form = task_form or GoalTaskForm(
        organization=request.organization, goal=goal, initial={"estimate": 1}
    )
    task_form.offer_outcomes([card.outcome for card in outcome_cards])
    paste_form = paste_form or TaskPasteForm(goal=goal)
    paste_form.offer_outcomes([card.outcome for card in outcome_cards])
    can_change_goal = can_change(goal, request.membership)
    goal_updates = update_selectors.goal_section(
        organization=request.organization,
        goal=goal,
        member=request.membership,
        can_change=can_change_goal,
        now=timezone.now(),
    )
    return _goal_fragment_context(
        request,
        goal,
        counts,
        path=goal_selectors.ancestors(goal=goal),
        tasks=tasks,
        more_tasks=more_tasks,
        outcome_cards=outcome_cards,
        children=list(selectors.children_with_counts(goal=goal, viewer=request.membership)),
        history=list(goal_selectors.goal_history(goal=goal)),
        can_change_goal=can_change_goal,
        can_share_goal=can_share(goal, request.membership),
        task_form=task_form,
        paste_form=paste_form,
        goal_updates=goal_updates,
        update_form=(
            UpdateForm(outcomes=[card.outcome for card in outcome_cards])
            if goal_updates.can_post
            else None
        ),
    )


@org_view()
def goal_detail(request: OrgRequest, goal_number: int) -> HttpResponse:
    """The goal page; ?check_in=<outcome number> opens that outcome's check-in (what the card's
    "Check in" link asks for without JavaScript)."""
    goal = goal_or_404(request, goal_number)
    check_in = request.GET.get("check_in", "")
    open_check_in = int(check_in) if check_in.isdigit() and len(check_in) < 10 else None
    ctx = _goal_page_context(request, goal, open_check_in=open_check_in)
    return render(request, "work/goal_detail.html", ctx)


@org_view(min_role=Role.PLANNER)
@require_POST
def goal_task_add(request: OrgRequest, goal_number: int) -> HttpResponse:
    """Work is created from goals: the goal is the page the planner stands on."""
    goal = goal_or_404(request, goal_number)
    form = GoalTaskForm(request.POST, organization=request.organization, goal=goal)
    task = None
    if form.is_valid():
        try:
            task = services.task_create(
                organization=request.organization,
                actor=request.user,
                goal=goal,
                origin=Origin.GOAL_PAGE,
                **form.cleaned_data,
            )
        except ValidationError as e:
            add_service_errors(form, e)
    if task is None:
        if is_fragment(request):
            ctx = _goal_fragment_context(request, goal, task_form=form)
            return render(request, "work/goal_detail.html#task-add-form", ctx, status=422)
        return render(
            request, "work/goal_detail.html", _goal_page_context(request, goal, task_form=form)
        )
    messages.success(request, f"Added {task.key} {task.title}.")
    if not is_fragment(request):
        return redirect(f"{_goal_url(request, goal)}#goal-{goal.number}-work")
    # The new row goes on top of the goal's tasks; the counts and the message follow out of
    # band, and the form empties itself on the event (static/js/work.js) instead of coming back.
    ctx = _goal_fragment_context(request, goal, rows=[task])
    response = render(request, "work/goal_detail.html#task-added", ctx)
    retarget(response, f"#goal-{goal.number}-task-rows")
    reswap(response, "afterbegin")
    return trigger_client_event(response, "task-added", after="swap")


PASTE_CHANGED = "The list changed since its preview: check the preview below, then create."
PASTE_REFUSED = "Nothing was created: fix or remove the lines that cannot be taken."


@org_view(min_role=Role.PLANNER)
@require_POST
def goal_task_paste(request: OrgRequest, goal_number: int) -> HttpResponse:
    """Several tasks at once under the goal, one per pasted line. "Preview" shows the tasks the
    lines make and the lines that make none; "Create" makes them all in one go, or nothing
    when a line cannot be taken or the list is not the one last previewed (the text is read
    again here: nothing the preview showed is taken back from the page)."""
    goal = goal_or_404(request, goal_number)
    form = TaskPasteForm(request.POST, goal=goal)
    notice = ""
    valid = form.is_valid()
    if valid and request.POST.get("step") == "create":
        paste = form.paste
        if paste is None or not paste.ready:
            notice = PASTE_REFUSED
        elif not form.is_as_previewed():
            notice = PASTE_CHANGED
        else:
            try:
                tasks = services.task_create_many(
                    organization=request.organization,
                    actor=request.user,
                    goal=goal,
                    drafts=paste.drafts(),
                    outcome=form.cleaned_data["outcome"],
                )
            except ValidationError as e:
                add_service_errors(form, e)
                valid = False
            else:
                n = len(tasks)
                messages.success(
                    request, f"{n} task{'s' if n != 1 else ''} created under {goal.key}."
                )
                # The whole page again: tasks, counts, outcome cards and sub-goal figures moved.
                # (Without a fragment for htmx: a browser only scrolls to one on the same URL.)
                if is_fragment(request):
                    return HttpResponseClientRedirect(_goal_url(request, goal))
                return redirect(f"{_goal_url(request, goal)}#goal-{goal.number}-work")
    ctx: dict[str, Any] = {
        "paste_form": form,
        "paste": form.paste if valid else None,
        "paste_outcome": form.cleaned_data.get("outcome") if valid else None,
        "paste_fingerprint": form.fingerprint() if valid else "",
        "paste_notice": notice,
        "paste_open": True,
    }
    if is_fragment(request):
        status = 200 if valid and not notice else 422
        ctx.update(goal=goal, can_plan=True)
        return render(request, "work/_task_paste_form.html", ctx, status=status)
    page = _goal_page_context(request, goal, paste_form=form)
    return render(request, "work/goal_detail.html", {**page, **ctx})


@org_view(min_role=Role.PLANNER)
@require_http_methods(["GET", "POST"])
def outcome_check_in(request: OrgRequest, outcome_number: int) -> HttpResponse:
    """GET opens the outcome's check-in on its card (htmx) or on the goal page; POST records it."""
    outcome = outcome_or_404(request, outcome_number)
    goal = goal_or_404(request, outcome.goal.number)
    if request.method == "GET":
        if not is_fragment(request):
            return redirect(
                f"{_goal_url(request, goal)}?check_in={outcome.number}#outcome-{outcome.number}"
            )
        return _check_in_card(request, goal, outcome, _opened_check_in(goal, outcome))
    form = CheckInForm(request.POST, goal=goal, outcome=outcome)
    saved = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.check_in_record(
                organization=request.organization,
                actor=request.user,
                outcome=outcome,
                value=data["value"],
                note=data["note"],
                checked_on=data["checked_on"],
                credited_tasks=list(data["credited_tasks"]),
            )
            saved = True
        except ValidationError as e:
            add_service_errors(form, e)
    if saved:
        messages.success(request, f"Checked in {outcome.key}: {form.cleaned_data['value']}.")
        if not is_fragment(request):
            return redirect(f"{_goal_url(request, goal)}#outcome-{outcome.number}")
    elif not is_fragment(request):
        ctx = _goal_page_context(request, goal, check_in_forms={outcome.pk: form})
        return render(request, "work/goal_detail.html", ctx)
    response = _check_in_card(request, goal, outcome, None if saved else form, history=saved)
    response.status_code = 200 if saved else 422
    return response


def _check_in_card(
    request: OrgRequest,
    goal: Goal,
    outcome: Outcome,
    form: CheckInForm | None,
    *,
    history: bool = False,
) -> HttpResponse:
    """The outcome's card, its check-in open with `form` (or closed), and with `history` the
    goal's history and the messages out of band."""
    tasks = selectors.tasks_of_goal(goal=goal, limit=GOAL_PAGE_TASKS)
    counts = selectors.goal_counts(goal=goal)
    cards = _outcome_cards(goal, counts, tasks, {outcome.pk: form} if form else {})
    card = next((c for c in cards if c.outcome.pk == outcome.pk), None)
    if card is None:  # deleted meanwhile
        raise Http404("No such outcome.")
    ctx = _goal_fragment_context(
        request,
        goal,
        counts,
        card=card,
        can_change_goal=can_change(goal, request.membership),
    )
    if history:
        ctx["history"] = list(goal_selectors.goal_history(goal=goal))
        return render(request, "work/goal_detail.html#check-in-done", ctx)
    return render(request, "work/goal_detail.html#check-in-card", ctx)


@org_view(min_role=Role.PLANNER)
@require_POST
def goal_confirm_links(request: OrgRequest, goal_number: int) -> HttpResponse:
    """Confirm every suspect link of the goal at once."""
    goal = goal_or_404(request, goal_number)
    confirmed = services.goal_confirm_links(
        organization=request.organization,
        actor=request.user,
        goal=goal,
    )
    if confirmed:
        messages.success(
            request, f"Confirmed {confirmed} suspect link{'s' if confirmed != 1 else ''}."
        )
    else:
        messages.info(request, "No suspect links to confirm.")
    if not is_fragment(request):
        return redirect(f"{_goal_url(request, goal)}#goal-{goal.number}-work")
    return render(
        request, "work/goal_detail.html#links-confirmed", _goal_page_context(request, goal)
    )


@org_view(min_role=Role.LEAD)
def goal_delete(request: OrgRequest, goal_number: int) -> HttpResponse:
    """Ask, then delete: the goal's work becomes orphaned and its sub-goals move up."""
    goal = goal_or_404(request, goal_number)
    if request.method == "POST":
        parent = goal.parent
        orphaned = services.goal_delete(
            organization=request.organization,
            actor=request.user,
            goal=goal,
        )
        text = f"Deleted {goal.key} {goal.title}."
        if orphaned:
            text += f" {orphaned} live task{'s are' if orphaned != 1 else ' is'} now orphaned."
        messages.success(request, text)
        target = _goal_url(request, parent) if parent else _goal_list_url(request)
        if request.htmx:
            return HttpResponseClientRedirect(target)
        return redirect(target)
    ctx = {
        "goal": goal,
        "counts": selectors.goal_counts(goal=goal),
        "children": list(selectors.children_with_counts(goal=goal, viewer=request.membership)),
        "outcomes": list(goal_selectors.outcomes_of(goal=goal)),
    }
    return render(request, "work/goal_confirm_delete.html", ctx)


# Inline task actions, shared by the goal page, the work list and the task page ----------------


def _task_action_response(request: OrgRequest, task: Task, *, status: int = 200) -> HttpResponse:
    """The task's row re-rendered for the page it was changed on (htmx), or a redirect back."""
    task_url = _task_url(request, task)
    next_url = _next_url(request, task_url)
    layout = request.POST.get("layout", "")
    if not is_fragment(request):
        return redirect(next_url)
    if layout not in ROW_LAYOUTS:
        return HttpResponseClientRedirect(next_url)
    task = _task_or_404(request, task.number)
    ctx: dict[str, Any] = {"rows": [task], "next_url": next_url}
    if layout == "goal" and task.goal is not None:
        ctx = _goal_fragment_context(request, task.goal, **ctx)
    return render(request, f"{ROW_LAYOUTS[layout]}#task-changed", ctx, status=status)


@org_view(min_role=Role.PLANNER)
@require_POST
def task_status(request: OrgRequest, task_number: int) -> HttpResponse:
    task = _task_or_404(request, task_number)
    form = TaskStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid status.")
        return _task_action_response(request, task, status=422)
    new = form.cleaned_data["status"]
    if new != task.status:
        services.task_set_status(
            organization=request.organization,
            actor=request.user,
            task=task,
            status=new,
        )
        messages.success(request, f"{task.key} is now {TaskStatus(new).label.lower()}.")
    return _task_action_response(request, task)


@org_view(min_role=Role.PLANNER)
@require_POST
def task_confirm(request: OrgRequest, task_number: int) -> HttpResponse:
    """Resolve a suspect link by standing behind it again."""
    task = _task_or_404(request, task_number)
    try:
        services.task_confirm_link(
            organization=request.organization,
            actor=request.user,
            task=task,
        )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return _task_action_response(request, task, status=422)
    messages.success(request, f"Confirmed the link of {task.key} to {task.goal.key}.")
    return _task_action_response(request, task)


# The task page: /o/<slug>/tasks/<n>/ ----------------------------------------------------------


def _task_page_context(
    request: OrgRequest, task: Task, *, keep_form: TaskKeepForm | None = None
) -> dict[str, Any]:
    """The task page: its upward trace, history and credits, in a fixed number of queries."""
    parents = list(reversed(goal_selectors.ancestors(goal=task.goal))) if task.goal else []
    return {
        "task": task,
        "trace_parents": parents,
        "history": selectors.task_history(task=task, viewer=request.membership),
        "credits": list(selectors.credits_of_task(task=task, viewer=request.membership)),
        "statuses": TaskStatus.choices,
        "can_plan": request.membership.can_plan,
        "keep_form": keep_form or TaskKeepForm(auto_id="keep-%s"),
        "next_url": _task_url(request, task),
    }


@org_view()
def task_detail(request: OrgRequest, task_number: int) -> HttpResponse:
    task = _task_or_404(request, task_number)
    return render(request, "work/task_detail.html", _task_page_context(request, task))


@org_view(min_role=Role.PLANNER)
def task_edit(request: OrgRequest, task_number: int) -> HttpResponse:
    task = _task_or_404(request, task_number)
    form = TaskEditForm(
        request.POST if request.method == "POST" else None,
        organization=request.organization,
        task=task,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.task_update(
                organization=request.organization,
                actor=request.user,
                task=task,
                **form.cleaned_data,
            )
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, f"Saved {task.key}.")
            return redirect(_task_url(request, task))
    return render(request, "work/task_edit.html", {"task": task, "form": form})


@org_view(min_role=Role.PLANNER)
def task_move(request: OrgRequest, task_number: int) -> HttpResponse:
    """Move work to another goal of the organization, with a reason."""
    task = _task_or_404(request, task_number)
    form = TaskMoveForm(
        request.POST if request.method == "POST" else None,
        organization=request.organization,
        viewer=request.membership,
        task=task,
    )
    next_url = _next_url(request, _task_url(request, task))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            moved = services.task_move(
                organization=request.organization,
                actor=request.user,
                task=task,
                to_goal=data["to_goal"],
                outcome=data["outcome"],
                reason=data["reason"],
            )
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, f"Moved {task.key} to {data['to_goal'].key}.")
            return redirect(_next_url(request, _task_url(request, moved)))
    return render(
        request, "work/task_move.html", {"task": task, "form": form, "next_url": next_url}
    )


@org_view(min_role=Role.PLANNER)
@require_POST
def task_keep(request: OrgRequest, task_number: int) -> HttpResponse:
    """Keep working on a stranded task, with a written reason."""
    task = _task_or_404(request, task_number)
    form = TaskKeepForm(request.POST, auto_id="keep-%s")
    if form.is_valid():
        try:
            services.task_keep(
                organization=request.organization,
                actor=request.user,
                task=task,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            messages.success(request, f"Kept {task.key} going: {form.cleaned_data['reason']}")
            return redirect(_task_url(request, task))
    return render(
        request, "work/task_detail.html", _task_page_context(request, task, keep_form=form)
    )


# The work list: /o/<slug>/work/ ---------------------------------------------------------------


def _cursor(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if number > 0 else None


def _query(params: QueryDict, **changes: Any) -> str:
    query = params.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = str(value)
    return query.urlencode()


def _work_list_context(request: OrgRequest, *, quick_form: QuickAddForm | None = None) -> dict:
    list_url = reverse("work_list", args=[request.organization.slug])
    filter_form = WorkFilterForm(
        request.GET, organization=request.organization, viewer=request.membership
    )
    filters = filter_form.filters()
    before = _cursor(request.GET.get("before"))
    tasks, next_cursor = selectors.work_list(
        organization=request.organization,
        viewer=request.membership,
        filters=filters,
        before=before,
    )
    if quick_form is None:
        initial: dict[str, Any] = {"estimate": 1}
        if filters.goal is not None and filters.goal.is_active:
            initial["goal"] = filters.goal
        quick_form = QuickAddForm(
            organization=request.organization, viewer=request.membership, initial=initial
        )
    return {
        "filter_form": filter_form,
        "tasks": tasks,
        "before": before,
        "older_query": _query(request.GET, before=next_cursor) if next_cursor else "",
        "newest_query": _query(request.GET, before=None),
        "quick_form": quick_form,
        "can_plan": request.membership.can_plan,
        # Where writes from this page return to: this list with its filters.
        "next_url": _next_url(request, list_url)
        if request.method == "POST"
        else request.get_full_path(),
    }


@org_view()
def work_list(request: OrgRequest) -> HttpResponse:
    ctx = _work_list_context(request)
    if is_fragment(request):
        return render(request, "work/work_list.html#work-results", {**ctx, "fragment": True})
    return render(request, "work/work_list.html", ctx)


@org_view(min_role=Role.PLANNER)
@require_POST
def task_quick_add(request: OrgRequest) -> HttpResponse:
    """Capture work from the work list: it still asks which goal the work serves."""
    form = QuickAddForm(request.POST, organization=request.organization, viewer=request.membership)
    if form.is_valid():
        try:
            task = services.task_create(
                organization=request.organization,
                actor=request.user,
                origin=Origin.QUICK_ADD,
                **form.cleaned_data,
            )
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            where = f"under {task.goal.key}" if task.goal else "without a goal: it is orphaned"
            messages.success(request, f"Added {task.key} {task.title} {where}.")
            return redirect(
                _next_url(request, reverse("work_list", args=[request.organization.slug]))
            )
    return render(request, "work/work_list.html", _work_list_context(request, quick_form=form))


# The pickers' suggestions: /o/<slug>/work/pick/… ----------------------------------------------
# An input sends its text under its own name (`field` says which); the answer is the <option>s
# of its <datalist>, the first matches among what the member may choose.


def _text(request: OrgRequest, name: str) -> str:
    """A parameter as text a query can take (a NUL byte is no character PostgreSQL stores)."""
    return request.GET.get(name, "")[:PICK_MAX_LENGTH].replace("\x00", "")


def _typed(request: OrgRequest) -> str:
    return _text(request, request.GET.get("field") or "q")


def _suggestions(options: Suggestions) -> HttpResponse:
    return HttpResponse(render_suggestions(options))


@org_view()
@require_safe
def pick_goals(request: OrgRequest) -> HttpResponse:
    """Goals the member may see (`active=1`: active ones only; `exclude=<n>`: all but G-n)."""
    goals = selectors.goal_pick_choices(
        organization=request.organization,
        viewer=request.membership,
        active_only=request.GET.get("active") == "1",
    )
    exclude = request.GET.get("exclude", "")
    if exclude.isdigit() and len(exclude) <= 9:
        goals = goals.exclude(number=int(exclude))
    found = selectors.goal_search(goals=goals, q=_typed(request))
    return _suggestions([(goal_label(g), goal_note(g)) for g in found])


@org_view()
@require_safe
def pick_members(request: OrgRequest) -> HttpResponse:
    members = selectors.assignee_choices(organization=request.organization)
    found = selectors.member_search(members=members, q=_typed(request))
    return _suggestions([(member_label(m), "") for m in found])


@org_view()
@require_safe
def pick_outcomes(request: OrgRequest) -> HttpResponse:
    """Outcomes of the goal named by `to_goal` (or `goal`), when the member may see it."""
    goal_text = _text(request, "to_goal") or _text(request, "goal")
    goals = selectors.goal_pick_choices(
        organization=request.organization, viewer=request.membership
    )
    found_goals = selectors.goal_find(goals=goals, text=goal_text) if goal_text.strip() else []
    if len(found_goals) != 1:
        return _suggestions([])
    outcomes = selectors.outcome_choices(
        organization=request.organization, viewer=request.membership
    )
    found = selectors.outcome_search(outcomes=outcomes, goal=found_goals[0], q=_typed(request))
    return _suggestions([(outcome_label(o), "") for o in found])
