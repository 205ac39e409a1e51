"""Input shapes for work pages. Every choice lists only the request's organization's objects, so
another organization's id is "not a valid choice" and never reaches a service."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from goals import selectors as goal_selectors
from goals.models import Goal, GoalStatus, Outcome
from vindaris.tenancy.models import Membership, Organization

from . import selectors
from .models import Task, TaskStatus

CHOOSE_GOAL = "Choose the goal this work serves."


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:  # type: ignore[override]
        return obj.user.display_name


class GoalChoiceField(forms.ModelChoiceField):
    """Goals labelled with their key, and their status when they are not active."""

    def label_from_instance(self, obj: Goal) -> str:  # type: ignore[override]
        label = f"{obj.key} {obj.title}"
        if obj.status != GoalStatus.ACTIVE:
            label += f" ({obj.get_status_display().lower()})"
        return label


class OutcomeOfGoalChoiceField(forms.ModelChoiceField):
    """Outcomes of any goal, labelled with their goal's key (goal loaded by the selector)."""

    def label_from_instance(self, obj: Outcome) -> str:  # type: ignore[override]
        return f"{obj.goal.key} · {obj.key} {obj.title}"


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

    assignee = MemberChoiceField(
        queryset=Membership.objects.none(), required=False, empty_label="Unassigned"
    )
    # The column is a PostgreSQL integer: a larger number is a form error, not a DataError.
    estimate = forms.IntegerField(
        min_value=0, max_value=2_147_483_647, initial=1, help_text="Effort points"
    )
    due_date = forms.DateField(required=False, label="Due date", widget=DateInput())

    def limit_members(self, organization: Organization) -> None:
        self.fields["assignee"].queryset = selectors.assignee_choices(  # type: ignore[attr-defined]
            organization=organization
        )


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
        self.fields["outcome"].queryset = goal_selectors.outcomes_of(goal=goal)  # type: ignore[attr-defined]
        self.limit_members(organization)


class QuickAddForm(TaskFieldsMixin):
    """Capture work from the work list. It asks for the goal; only organizations that allow
    goalless work may leave it empty (the task is then orphaned)."""

    title = forms.CharField(max_length=200)
    goal = GoalChoiceField(queryset=Goal.objects.none(), error_messages={"required": CHOOSE_GOAL})

    field_order = ["title", "goal", "assignee", "estimate", "due_date"]

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "quick-add-%s")
        super().__init__(*args, **kwargs)
        goal = self.fields["goal"]
        goal.queryset = goal_selectors.active_goal_choices(organization=organization, viewer=None)  # type: ignore[attr-defined]
        goal.required = not organization.allow_goalless_work
        goal.empty_label = (  # type: ignore[attr-defined]
            "— No goal yet (orphaned) —" if organization.allow_goalless_work else "Choose a goal"
        )
        if organization.allow_goalless_work:
            goal.help_text = "Work without a goal is orphaned until someone links it to a goal."
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
                "assignee": task.assignee_id,
                "estimate": task.estimate,
                "due_date": task.due_date,
            },
        )
        super().__init__(*args, **kwargs)
        outcome = self.fields["outcome"]
        if task.goal is None:
            outcome.queryset = Outcome.objects.none()  # type: ignore[attr-defined]
            outcome.help_text = "Link the task to a goal (move it) to choose an outcome."
        else:
            outcome.queryset = goal_selectors.outcomes_of(goal=task.goal)  # type: ignore[attr-defined]
        self.limit_members(organization)


class TaskMoveForm(forms.Form):
    """Move a task to another goal of the organization, optionally onto one of its outcomes."""

    to_goal = GoalChoiceField(
        queryset=Goal.objects.none(),
        label="Move to goal",
        error_messages={"required": "Choose the goal this work should serve."},
    )
    outcome = OutcomeOfGoalChoiceField(
        queryset=Outcome.objects.none(),
        required=False,
        empty_label="— No outcome —",
        help_text="Optional: an outcome of the goal the work moves to.",
    )
    reason = forms.CharField(
        max_length=300,
        label="Why does it move?",
        error_messages={"required": "Say why the work moves."},
    )

    def __init__(self, *args: Any, organization: Organization, task: Task, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        goals = goal_selectors.goal_choices(organization=organization, viewer=None)
        if task.goal_id is not None:
            goals = goals.exclude(pk=task.goal_id)
        self.fields["to_goal"].queryset = goals  # type: ignore[attr-defined]
        self.fields["outcome"].queryset = selectors.outcome_choices(  # type: ignore[attr-defined]
            organization=organization
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        goal, outcome = data.get("to_goal"), data.get("outcome")
        if goal is not None and outcome is not None and outcome.goal_id != goal.pk:
            self.add_error("outcome", "Choose an outcome of the goal the work moves to.")
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
        # Validation only: the page renders the checkboxes from the tasks it already loaded.
        self.fields["credited_tasks"].queryset = selectors.live_tasks_of_goal_choices(  # type: ignore[attr-defined]
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
    ("suspect", "Suspect"),
]


class WorkFilterForm(forms.Form):
    """The work list's filters. The goal is named by its number, as everywhere in URLs."""

    goal = GoalChoiceField(
        queryset=Goal.objects.none(), required=False, to_field_name="number", empty_label="Any goal"
    )
    status = forms.ChoiceField(choices=STATUS_FILTERS, required=False)
    assignee = MemberChoiceField(
        queryset=Membership.objects.none(), required=False, empty_label="Anyone"
    )
    gap = forms.ChoiceField(choices=GAP_FILTERS, required=False, label="Gap")
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Title contains…"}),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "filter-%s")
        super().__init__(*args, **kwargs)
        self.fields["goal"].queryset = goal_selectors.goal_choices(
            organization=organization, viewer=None
        )  # type: ignore[attr-defined]
        self.fields["assignee"].queryset = selectors.assignee_choices(  # type: ignore[attr-defined]
            organization=organization
        )

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
