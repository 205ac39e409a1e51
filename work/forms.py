"""Input shapes for work pages. Every choice lists only the request's organization's objects
that the member may see, so another organization's object, or a confidential goal's, is "not a
valid choice" and never reaches a service.

Goals, outcomes and members are picked by typing (an organization has thousands of goals and
members: a <select> of them all would be most of the page): a text input validated here against
what the member may choose, with suggestions in a <datalist> that htmx fills when the input gets
the focus and refreshes as they type (`work.views.pick_*`). Without JavaScript, typing a key
("G-12"), a title, a name or an email works the same."""

import hashlib
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from goals import selectors as goal_selectors
from goals.models import Goal, GoalStatus, Outcome
from vindaris.tenancy.models import Membership, Organization

from . import selectors
from .models import Task, TaskStatus
from .services import MAX_TASKS_AT_ONCE, TITLE_MAX_LENGTH, TaskDraft

CHOOSE_GOAL = "Choose the goal this work serves."
# What a person may type into a picker; longer text names nothing.
PICK_MAX_LENGTH = 300


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def goal_label(goal: Goal) -> str:
    """How a goal is written in a picker: its key and title ("G-12 Grow revenue")."""
    return f"{goal.key} {goal.title}"


def goal_note(goal: Goal) -> str:
    """What a suggestion adds about a goal: its status when it is not active."""
    return "" if goal.status == GoalStatus.ACTIVE else goal.get_status_display()


def member_label(member: Membership) -> str:
    """How a member is written in a picker: name and email, which tells namesakes apart."""
    return f"{member.user.display_name} <{member.user.email}>"


def outcome_label(outcome: Outcome) -> str:
    return f"{outcome.key} {outcome.title}"


Suggestions = Sequence[tuple[str, str]]


def render_suggestions(suggestions: Suggestions) -> str:
    """The <option>s of a picker's <datalist>: (value, note) pairs."""
    return render_to_string("work/_pick_options.html", {"options": suggestions})


class PickerInput(forms.TextInput):
    """A text input with a <datalist> of suggestions. The form sets `options_url`, the htmx
    endpoint that answers the input's text with the first matches. The page itself renders the
    list empty: suggestions cost a query each, and are only wanted once someone picks."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs={"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.options_url = ""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        attrs = dict(attrs or {})
        list_id = f"{attrs.get('id') or name}-options"
        attrs["list"] = list_id
        if self.options_url:
            # GET sends the input's own value under its name; `field` says which name that is.
            separator = "&" if "?" in self.options_url else "?"
            htmx = {
                "hx-get": f"{self.options_url}{separator}{urlencode({'field': name})}",
                "hx-trigger": "focus once, input changed delay:200ms",
                "hx-target": f"#{list_id}",
                "hx-swap": "innerHTML",
                # inside a form that pushes its URL (the work list's filters): this does not
                "hx-push-url": "false",
                "hx-sync": "this:replace",
            }
            for key, setting in htmx.items():
                if key not in self.attrs:
                    attrs.setdefault(key, setting)
        html = super().render(name, value, attrs, renderer)
        return format_html('{}<datalist id="{}"></datalist>', html, list_id)


class PickField(forms.Field, ABC):
    """One object named by the text a person typed, among `queryset` (set by the form).
    Subclasses say how text names objects (`find`) and how an object is written (`text_of`)."""

    widget = PickerInput
    noun = "object"
    how = ""
    default_error_messages = {
        "invalid_choice": "Select a valid choice: no {noun} you can choose is “{text}”. {how}",
        "ambiguous": "Several {noun}s are called “{text}”: {how}",
    }

    def __init__(self, *, queryset: QuerySet[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.queryset = queryset

    @abstractmethod
    def find(self, text: str) -> list[Any]:
        """The objects of `queryset` that `text` names (one when it names one)."""

    def text_of(self, obj: Any) -> str:
        return str(obj)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Model):
            return self.text_of(value)
        return "" if value is None else value

    def to_python(self, value: Any) -> Any:
        text = " ".join(str(value or "").split())
        if text in self.empty_values:
            return None
        found = [] if len(text) > PICK_MAX_LENGTH or "\x00" in text else self.find(text)
        if len(found) == 1:
            return found[0]
        shown = text if len(text) <= 60 else f"{text[:59]}…"
        code = "ambiguous" if found else "invalid_choice"
        message = self.error_messages[code].format(noun=self.noun, text=shown, how=self.how)
        raise ValidationError(message.strip(), code=code)

    def has_changed(self, initial: Any, data: Any) -> bool:
        return str(self.prepare_value(initial) or "") != str(data or "")


class GoalField(PickField):
    """A goal, typed as its key ("G-12", "12"), as a suggestion writes it ("G-12 Grow
    revenue"), or as its exact title."""

    noun = "goal"
    how = "Type its key (G-12) or its title, or pick it from the suggestions."

    def find(self, text: str) -> list[Goal]:
        return selectors.goal_find(goals=self.queryset, text=text)  # type: ignore[arg-type]  # the picker's queryset is of the model its subclass names

    def text_of(self, obj: Goal) -> str:
        return goal_label(obj)


class MemberField(PickField):
    """A member, typed as a suggestion writes it ("Ana Lopez <ana@acme.example>"), as an email
    or as an exact name."""

    noun = "member"
    how = "Type their name or email, or pick them from the suggestions."

    def find(self, text: str) -> list[Membership]:
        return selectors.member_find(members=self.queryset, text=text)  # type: ignore[arg-type]  # the picker's queryset is of the model its subclass names

    def text_of(self, obj: Membership) -> str:
        return member_label(obj)


class OutcomeField(PickField):
    """An outcome of the goal chosen beside it, typed as its key ("O-7"), as a suggestion
    writes it ("O-7 Monthly revenue"), or as its exact title. The form resolves it with `pick`
    once it knows the goal."""

    noun = "outcome"
    how = "Type its key (O-7) or its title, or pick one of the goal's outcomes."
    other_goal = "Choose an outcome of the goal the work moves to."

    def to_python(self, value: Any) -> str | None:
        return " ".join(str(value or "").split()) or None

    def pick(self, text: str, *, goal: Goal | None) -> Outcome:
        """The outcome `text` names among the goal's (any visible one's while the goal is not
        known); a ValidationError otherwise."""
        outcomes: QuerySet[Outcome] = self.queryset  # type: ignore[assignment]  # the picker's queryset is of the model its subclass names
        if goal is not None and len(text) <= PICK_MAX_LENGTH and "\x00" not in text:
            found = selectors.outcome_find(outcomes=outcomes.filter(goal=goal), text=text)
            if len(found) == 1:
                return found[0]
            if not found and selectors.outcome_find(outcomes=outcomes, text=text):
                raise ValidationError(self.other_goal, code="other_goal")
        return PickField.to_python(self, text)

    def find(self, text: str) -> list[Outcome]:
        return selectors.outcome_find(outcomes=self.queryset, text=text)  # type: ignore[arg-type]  # the picker's queryset is of the model its subclass names

    def text_of(self, obj: Outcome) -> str:
        return outcome_label(obj)


def _pick_url(organization: Organization, name: str, **params: Any) -> str:
    url = reverse(name, args=[organization.slug])
    query = {k: v for k, v in params.items() if v not in (None, "", False)}
    return f"{url}?{urlencode(query)}" if query else url


def setup_goal_picker(
    field: forms.Field,
    *,
    organization: Organization,
    viewer: Membership | None,
    active_only: bool = False,
    exclude: Goal | None = None,
) -> None:
    """Limit a GoalField to the goals `viewer` may see (active ones only, or all but one when
    asked) and point its suggestions at them."""
    goals = selectors.goal_pick_choices(
        organization=organization, viewer=viewer, active_only=active_only
    )
    if exclude is not None:
        goals = goals.exclude(pk=exclude.pk)
    field.queryset = goals  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset
    widget: PickerInput = field.widget
    widget.options_url = _pick_url(
        organization,
        "work_pick_goals",
        active=1 if active_only else None,
        exclude=exclude.number if exclude is not None else None,
    )
    widget.attrs.setdefault("placeholder", "G-12 or part of a title")


def setup_member_picker(field: forms.Field, *, organization: Organization) -> None:
    """Limit a MemberField to the organization's members and point its suggestions at them."""
    members = selectors.assignee_choices(organization=organization)
    field.queryset = members  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset
    widget: PickerInput = field.widget
    widget.options_url = _pick_url(organization, "work_pick_members")
    widget.attrs.setdefault("placeholder", "Name or email")


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the field it names when the form has
    that field, otherwise above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            messages = [m for e in errors for m in e.messages]
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class TaskFieldsMixin(forms.Form):
    """Assignee, estimate and due date, shared by every task form."""

    assignee = MemberField(required=False, help_text="Leave empty for unassigned work.")
    # The column is a PostgreSQL integer: a larger number is a form error, not a DataError.
    estimate = forms.IntegerField(
        min_value=0, max_value=2_147_483_647, initial=1, help_text="Effort points"
    )
    due_date = forms.DateField(required=False, label="Due date", widget=DateInput())

    def limit_members(self, organization: Organization) -> None:
        setup_member_picker(self.fields["assignee"], organization=organization)


class GoalTaskForm(TaskFieldsMixin):
    """Add a task from a goal's page: the goal is where you stand; the outcome is one of its."""

    title = forms.CharField(max_length=200)
    outcome = forms.ModelChoiceField(
        queryset=Outcome.objects.none(), required=False, empty_label="— No outcome —"
    )

    field_order = ["title", "outcome", "assignee", "estimate", "due_date"]

    def __init__(self, *args: Any, organization: Organization, goal: Goal, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"goal-{goal.number}-task-%s")
        super().__init__(*args, **kwargs)
        self.goal = goal
        self.fields["outcome"].queryset = goal_selectors.outcomes_of(goal=goal)  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset
        self.limit_members(organization)

    def offer_outcomes(self, outcomes: list[Outcome]) -> None:
        """Show the goal's outcomes as the page already loaded them, instead of reading them
        again to render the choices (validation still reads them from the database)."""
        field: forms.ModelChoiceField = self.fields["outcome"]  # type: ignore[assignment]  # form.fields holds plain Fields; this one is the outcome picker
        field.choices = [("", field.empty_label), *((o.pk, str(o)) for o in outcomes)]


class QuickAddForm(TaskFieldsMixin):
    """Capture work from the work list. It asks for the goal (an active one the member may see);
    only organizations that allow goalless work may leave it empty (the task is then
    orphaned)."""

    title = forms.CharField(max_length=200)
    goal = GoalField(error_messages={"required": CHOOSE_GOAL})

    field_order = ["title", "goal", "assignee", "estimate", "due_date"]

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        viewer: Membership | None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", "quick-add-%s")
        super().__init__(*args, **kwargs)
        goal = self.fields["goal"]
        setup_goal_picker(goal, organization=organization, viewer=viewer, active_only=True)
        goal.required = not organization.allow_goalless_work
        if organization.allow_goalless_work:
            goal.help_text = (
                "Leave it empty to capture the work without a goal: it is orphaned until "
                "someone links it to a goal."
            )
        self.limit_members(organization)


class TaskEditForm(TaskFieldsMixin):
    """Edit a task's own fields. The outcome can only be one of the task's goal."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    outcome = forms.ModelChoiceField(
        queryset=Outcome.objects.none(), required=False, empty_label="— No outcome —"
    )

    field_order = ["title", "description", "outcome", "assignee", "estimate", "due_date"]

    def __init__(self, *args: Any, organization: Organization, task: Task, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "title": task.title,
                "description": task.description,
                "outcome": task.outcome_id,
                "assignee": task.assignee,
                "estimate": task.estimate,
                "due_date": task.due_date,
            },
        )
        super().__init__(*args, **kwargs)
        outcome = self.fields["outcome"]
        if task.goal is None:
            outcome.queryset = Outcome.objects.none()  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset
            outcome.help_text = "Link the task to a goal (move it) to choose an outcome."
        else:
            outcome.queryset = goal_selectors.outcomes_of(goal=task.goal)  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset
        self.limit_members(organization)


class TaskMoveForm(forms.Form):
    """Move a task to another goal the member may see, optionally onto one of its outcomes."""

    to_goal = GoalField(
        label="Move to goal",
        error_messages={"required": "Choose the goal this work should serve."},
    )
    outcome = OutcomeField(
        required=False,
        help_text="Optional: an outcome of the goal the work moves to.",
    )
    reason = forms.CharField(
        max_length=300,
        label="Why does it move?",
        error_messages={"required": "Say why the work moves."},
    )

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        viewer: Membership | None,
        task: Task,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        to_goal = self.fields["to_goal"]
        setup_goal_picker(to_goal, organization=organization, viewer=viewer, exclude=task.goal)
        outcomes = selectors.outcome_choices(organization=organization, viewer=viewer)
        outcome = self.fields["outcome"]
        outcome.queryset = outcomes  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset
        widget: PickerInput = outcome.widget
        widget.options_url = _pick_url(organization, "work_pick_outcomes")
        # Its suggestions are the outcomes of the goal typed above: asked for again on focus.
        widget.attrs.update(
            {
                "hx-include": f"#{self['to_goal'].auto_id}",
                "hx-trigger": "focus, input changed delay:200ms",
                "placeholder": "O-7 or part of a title",
            }
        )

    def clean_outcome(self) -> Outcome | None:
        text = self.cleaned_data.get("outcome")
        if not text:
            return None
        field: OutcomeField = self.fields["outcome"]  # type: ignore[assignment]  # form.fields holds plain Fields; this one is the outcome picker
        return field.pick(text, goal=self.cleaned_data.get("to_goal"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        goal, outcome = data.get("to_goal"), data.get("outcome")
        if goal is not None and outcome is not None and outcome.goal_id != goal.pk:
            self.add_error("outcome", OutcomeField.other_goal)
        return data


class TaskStatusForm(forms.Form):
    status = forms.ChoiceField(choices=TaskStatus.choices)


class TaskKeepForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        label="Why does this work continue?",
        error_messages={"required": "Say why this work continues."},
    )


class CheckInForm(forms.Form):
    """A new value of one outcome, optionally crediting tasks of its goal ("what moved this?")."""

    value = forms.DecimalField(max_digits=14, decimal_places=2, label="New value")
    checked_on = forms.DateField(required=False, label="Date", widget=DateInput())
    note = forms.CharField(required=False, max_length=2000)
    credited_tasks = forms.ModelMultipleChoiceField(
        queryset=Task.objects.none(), required=False, label="What moved this?"
    )

    def __init__(self, *args: Any, goal: Goal, outcome: Outcome, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"checkin-{outcome.number}-%s")
        super().__init__(*args, **kwargs)
        self.outcome = outcome
        # Validation only: the page renders the checkboxes from the tasks it already loaded, so
        # a form that is only shown (one per outcome card) needs no queryset.
        if self.is_bound:
            self.fields["credited_tasks"].queryset = selectors.live_tasks_of_goal_choices(  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset
                goal=goal
            )

    def credited_values(self) -> set[str]:
        """The task ids ticked in a bound form, as strings, to re-tick the boxes."""
        return {str(v) for v in (self["credited_tasks"].value() or [])}


STATUS_FILTERS = [("", "Any status"), ("live", "Live")] + list(TaskStatus.choices)
GAP_FILTERS = [
    ("", "Any"),
    ("orphaned", "Orphaned"),
    ("stranded", "Stranded"),
    ("kept", "Kept (stranded on purpose)"),
    ("suspect", "Suspect"),
]


class WorkFilterForm(forms.Form):
    """The work list's filters. The goal is named by its key or number (as in URLs:
    `?goal=12`), the assignee as the member picker writes them."""

    goal = GoalField(required=False)
    status = forms.ChoiceField(choices=STATUS_FILTERS, required=False)
    assignee = MemberField(required=False)
    gap = forms.ChoiceField(choices=GAP_FILTERS, required=False, label="Gap")
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Title contains…"}),
    )

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        viewer: Membership | None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", "filter-%s")
        super().__init__(*args, **kwargs)
        setup_goal_picker(self.fields["goal"], organization=organization, viewer=viewer)
        self.fields["goal"].widget.attrs["placeholder"] = "Any goal"
        setup_member_picker(self.fields["assignee"], organization=organization)
        self.fields["assignee"].widget.attrs["placeholder"] = "Anyone"

    def filters(self) -> selectors.WorkFilters:
        """The filters that validated; an invalid one is shown with its error and not applied."""
        self.is_valid()
        data = self.cleaned_data
        return selectors.WorkFilters(
            goal=data.get("goal"),
            status=data.get("status") or "",
            assignee=data.get("assignee"),
            gap=data.get("gap") or "",
            search=(data.get("q") or "").strip(),
        )


# Several tasks at once on a goal's page --------------------------------------------------------
# One task per line, previewed before anything is created. A line may start with a list marker
# ("- ", "* ", "+ ", "• ", "1. ", "1) "), then a checkbox ("[ ] ", "[x] "), both left out, and
# may end with an estimate written "~3" (3 effort points; 1 without one).

PASTE_MAX_CHARACTERS = 50_000
ESTIMATE_MAX = 2_147_483_647  # the column is a PostgreSQL integer
LIST_MARKER = re.compile(r"^(?:[-*+•](?:\s+|$)|\d{1,3}[.)](?:\s+|$))?(?:\[[ xX]?\](?:\s+|$))?")
ESTIMATE_SUFFIX = re.compile(r"~\s*(\d+(?:[.,]\d+)?)$")
PASTE_HELP = (
    "One task per line; blank lines are ignored. End a line with ~3 to estimate it at 3 effort "
    "points (1 otherwise). List markers such as “- ”, “* ”, “1. ” and “[ ] ” are left out."
)


@dataclass(frozen=True)
class PastedLine:
    """One non-blank line of a pasted list: the task it makes, or why it makes none."""

    number: int  # in the text as pasted, blank lines counted, from 1
    text: str
    title: str = ""
    estimate: int = 1
    error: str = ""


@dataclass(frozen=True)
class PastedTasks:
    lines: list[PastedLine]

    @property
    def taken(self) -> list[PastedLine]:
        return [line for line in self.lines if not line.error]

    @property
    def refused(self) -> list[PastedLine]:
        return [line for line in self.lines if line.error]

    @property
    def ready(self) -> bool:
        """Every line makes a task: the list can be created as it is."""
        return bool(self.lines) and not self.refused

    def drafts(self) -> list[TaskDraft]:
        return [TaskDraft(line.title, line.estimate) for line in self.taken]


def parse_pasted_line(number: int, text: str) -> PastedLine:
    """The task one line makes (`text` with its whitespace tidied), or its error."""
    rest = LIST_MARKER.sub("", text, count=1)
    estimate = 1
    found = ESTIMATE_SUFFIX.search(rest)
    if found:
        rest = rest[: found.start()].rstrip()
        points = found.group(1)
        if not points.isdigit():
            return PastedLine(number, text, error="Effort is a whole number of points, like ~3.")
        if len(points) > 10 or int(points) > ESTIMATE_MAX:
            return PastedLine(number, text, error="The estimate is too large.")
        estimate = int(points)
    if not rest:
        return PastedLine(number, text, error="The line has no title.")
    if len(rest) > TITLE_MAX_LENGTH:
        return PastedLine(
            number,
            text,
            error=f"The title has {len(rest)} characters: keep it to {TITLE_MAX_LENGTH}.",
        )
    return PastedLine(number, text, title=rest, estimate=estimate)


def parse_pasted_tasks(text: str) -> PastedTasks:
    """The tasks of a pasted list, one per non-blank line, in the order pasted."""
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        tidy = " ".join(raw.split())
        if tidy:
            lines.append(parse_pasted_line(number, tidy))
    return PastedTasks(lines)


class TaskPasteForm(forms.Form):
    """Several tasks at once under the goal of the page, optionally all aimed at one of its
    outcomes. The list is read here (`paste`); the step ("preview" or "create") is the button
    pressed, and `previewed` holds the fingerprint of the list its preview showed."""

    lines = forms.CharField(
        label="Tasks, one per line",
        max_length=PASTE_MAX_CHARACTERS,
        strip=False,  # a blank first line still counts: line numbers match the text
        help_text=PASTE_HELP,
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "placeholder": "Call ten prospects ~3\nDraft the pricing page ~5\nReview it",
            }
        ),
        error_messages={"required": "Paste or type the tasks, one per line."},
    )
    outcome = forms.ModelChoiceField(
        queryset=Outcome.objects.none(),
        required=False,
        empty_label="— No outcome —",
        label="Outcome for all of them",
    )
    previewed = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, goal: Goal, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"goal-{goal.number}-paste-%s")
        super().__init__(*args, **kwargs)
        self.goal = goal
        self.paste: PastedTasks | None = None
        self.fields["outcome"].queryset = goal_selectors.outcomes_of(goal=goal)  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset

    def offer_outcomes(self, outcomes: list[Outcome]) -> None:
        """Show the goal's outcomes as the page already loaded them (as GoalTaskForm does)."""
        field: forms.ModelChoiceField = self.fields["outcome"]  # type: ignore[assignment]  # form.fields holds plain Fields; this one is the outcome picker
        field.choices = [("", field.empty_label), *((o.pk, str(o)) for o in outcomes)]

    def clean_lines(self) -> str:
        text: str = self.cleaned_data["lines"]
        paste = parse_pasted_tasks(text)
        if not paste.lines:
            raise ValidationError(self.fields["lines"].error_messages["required"])
        if len(paste.lines) > MAX_TASKS_AT_ONCE:
            raise ValidationError(
                f"Paste at most {MAX_TASKS_AT_ONCE} tasks at a time: this list has "
                f"{len(paste.lines)}. Split it in parts."
            )
        self.paste = paste
        return text

    def fingerprint(self) -> str:
        """What the valid form would create: the same list and outcome give the same value."""
        if self.paste is None:
            raise ValueError("Only a valid form has a fingerprint.")
        outcome = self.cleaned_data.get("outcome")
        shown = {"tasks": self.paste.drafts(), "outcome": outcome.pk if outcome else None}
        return hashlib.sha256(json.dumps(shown).encode()).hexdigest()

    def is_as_previewed(self) -> bool:
        """The valid form holds the list and outcome its last preview showed."""
        return self.cleaned_data.get("previewed") == self.fingerprint()
