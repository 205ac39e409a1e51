"""Input shape of the goal pages. Every choice queryset is limited to the request's organization,
so another organization's goal or member is "not a valid choice"."""

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.utils import timezone

from vindaris.tenancy.models import Membership, Organization
from vindaris.tenancy.zones import local_date

from . import selectors
from .models import Direction, Goal, GoalStatus, Outcome, Priority
from .visibility import can_share

# Quarters -------------------------------------------------------------------------------------

_QUARTER = re.compile(r"^(?P<year>\d{4})-Q(?P<quarter>[1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    quarter: int

    @classmethod
    def of(cls, day: date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def parse(cls, value: str) -> "Quarter | None":
        """The quarter named "2026-Q4", or None for anything else."""
        match = _QUARTER.match(value or "")
        if match is None or not 1900 <= int(match["year"]) <= 2999:
            return None
        return cls(int(match["year"]), int(match["quarter"]))

    @property
    def value(self) -> str:
        return f"{self.year}-Q{self.quarter}"

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.quarter}"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.quarter - 2, 1)

    @property
    def end(self) -> date:
        month = 3 * self.quarter
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    def shifted(self, quarters: int) -> "Quarter":
        index = self.year * 4 + self.quarter - 1 + quarters
        return Quarter(index // 4, index % 4 + 1)


def organization_today(organization: Organization) -> date:
    """Today's date where the organization works (its timezone setting): the quarter a goal
    period is "current" in is the organization's, the same for every member."""
    return local_date(organization, timezone.now())


# Choice fields --------------------------------------------------------------------------------


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return obj.user.display_name


def members_choices(organization: Organization) -> Any:
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("user__name", "user__email")
    )


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _unix_newlines(text: str) -> str:
    return text.replace("\r\n", "\n")


def add_service_error(form: forms.Form, error: Any) -> None:
    """Show a service's ValidationError on the form: on the fields it names, otherwise on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# The goal list filters ------------------------------------------------------------------------


class GoalFilterForm(forms.Form):
    """The goal list's filters (GET). Invalid values are reported and ignored, never a 500."""

    q = forms.CharField(
        required=False,
        max_length=200,
        label="Title contains",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *GoalStatus.choices], required=False)
    owner = MemberChoiceField(
        queryset=Membership.objects.none(), required=False, empty_label="Anyone"
    )
    priority = forms.TypedChoiceField(
        choices=[("", "Any priority"), *Priority.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    period = forms.ChoiceField(required=False)

    def __init__(
        self, data: Any = None, *, organization: Organization, today: date | None = None
    ) -> None:
        super().__init__(data)
        self.fields["owner"].queryset = members_choices(organization)  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset
        current = Quarter.of(today or organization_today(organization))
        # Last year, this year and next year, by quarter.
        quarters = [Quarter(current.year - 1, 1).shifted(i) for i in range(12)]
        asked = Quarter.parse((data or {}).get("period", ""))
        if asked is not None and asked not in quarters:
            quarters = sorted([*quarters, asked])  # a bookmarked quarter stays selectable
        self.fields["period"].choices = [("", "Any period")] + [  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one is a ChoiceField
            (q.value, q.label) for q in quarters
        ]

    def filters(self) -> dict[str, Any]:
        """The valid filters as keyword arguments of selectors.goal_list_page."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        quarter = Quarter.parse(data.get("period") or "")
        return {
            "status": data.get("status") or "",
            "owner": data.get("owner"),
            "priority": data.get("priority"),
            "period_start": quarter.start if quarter else None,
            "period_end": quarter.end if quarter else None,
            "search": (data.get("q") or "").strip(),
        }

    @property
    def is_filtered(self) -> bool:
        return any(v for v in self.filters().values())


# Goals ----------------------------------------------------------------------------------------

GOAL_FIELDS = (
    "title",
    "description",
    "parent",
    "owner",
    "priority",
    "status",
    "start_date",
    "end_date",
    "confidential",
)


class GoalForm(forms.Form):
    """Create or edit a goal. On edit, the goal and its sub-goals are no possible parents."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    parent = forms.ModelChoiceField(
        queryset=Goal.objects.none(),
        required=False,
        empty_label="None (a top-level goal)",
        label="Parent goal",
    )
    owner = MemberChoiceField(
        queryset=Membership.objects.none(), required=False, empty_label="No owner"
    )
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int, initial=Priority.P2)
    status = forms.ChoiceField(choices=GoalStatus.choices, initial=GoalStatus.DRAFT)
    quarter = forms.ChoiceField(
        required=False,
        label="Period",
        help_text="Choosing a quarter sets the start and end dates.",
    )
    start_date = forms.DateField(required=False, label="Start date", widget=_date_input())
    end_date = forms.DateField(required=False, label="End date", widget=_date_input())
    confidential = forms.BooleanField(
        required=False,
        help_text=(
            "Only admins, leads, the owner and members it is shared with will see this goal and "
            "everything under it."
        ),
    )

    def __init__(
        self,
        data: Any = None,
        *,
        organization: Organization,
        viewer: Membership,
        goal: Goal | None = None,
        initial: dict[str, Any] | None = None,
        today: date | None = None,
    ) -> None:
        if goal is not None:
            initial = {f: getattr(goal, f) for f in GOAL_FIELDS} | (initial or {})
        super().__init__(data, initial=initial)
        parents = selectors.goal_choices(organization=organization, viewer=viewer)
        if goal is not None:
            parents = parents.exclude(pk__in=selectors.subtree_ids(goal=goal))
            if not can_share(goal, viewer):
                # Who may see the goal is decided by those who share it: an editor it was
                # shared with keeps its owner and its confidentiality as they are.
                for name in ("owner", "confidential"):
                    self.fields[name].disabled = True
                    self.fields[name].help_text = "Only admins, leads and the owner change this."
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset
        self.fields["owner"].queryset = members_choices(organization)  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset
        current = Quarter.of(today or organization_today(organization))
        self.fields["quarter"].choices = [("", "Custom dates")] + [  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one is a ChoiceField
            (q.value, q.label) for q in (current.shifted(i) for i in range(5))
        ]
        self.fields["quarter"].widget.attrs["data-quarter-pick"] = ""
        for name in ("start_date", "end_date"):
            self.fields[name].widget.attrs["data-quarter-target"] = name

    def clean_description(self) -> str:
        return _unix_newlines(self.cleaned_data["description"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        quarter = Quarter.parse(data.get("quarter") or "")
        if quarter is not None:
            data["start_date"], data["end_date"] = quarter.start, quarter.end
            for name in ("start_date", "end_date"):
                self.errors.pop(name, None)  # the quarter's dates replace whatever was typed
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The period must end on or after its start.")
        return data

    def values(self) -> dict[str, Any]:
        """The goal's fields as keyword arguments of goals.services.goal_create."""
        return {f: self.cleaned_data[f] for f in GOAL_FIELDS}

    def changed_values(self, goal: Goal) -> dict[str, Any]:
        """Only the fields that differ from the goal's, for goals.services.goal_update."""
        return {f: v for f, v in self.values().items() if getattr(goal, f) != v}


# Outcomes -------------------------------------------------------------------------------------

OUTCOME_FIELDS = ("title", "unit", "direction", "baseline", "target", "due_date")


def _decimal_field(label: str, **kwargs: Any) -> forms.DecimalField:
    # Matches the model's columns, so junk, NaN, infinities and oversized numbers are form errors.
    return forms.DecimalField(
        label=label,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "any"}),
        **kwargs,
    )


class OutcomeForm(forms.Form):
    """Create or edit an outcome. Its current value is set once; check-ins move it later."""

    title = forms.CharField(max_length=200)
    unit = forms.CharField(
        max_length=30, required=False, help_text="What the numbers count: %, users, €k…"
    )
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.INCREASE)
    baseline = _decimal_field("Baseline")
    target = _decimal_field("Target")
    current = _decimal_field(
        "Current value", required=False, help_text="Leave empty to start at the baseline."
    )
    due_date = forms.DateField(required=False, label="Due date", widget=_date_input())

    def __init__(self, data: Any = None, *, outcome: Outcome | None = None) -> None:
        initial = {f: getattr(outcome, f) for f in OUTCOME_FIELDS} if outcome else None
        super().__init__(data, initial=initial)
        if outcome is not None:
            del self.fields["current"]

    def values(self) -> dict[str, Any]:
        """The outcome's fields as keyword arguments of goals.services.outcome_create."""
        return {f: self.cleaned_data[f] for f in self.fields}

    def changed_values(self, outcome: Outcome) -> dict[str, Any]:
        """Only the fields that differ from the outcome's, for goals.services.outcome_update."""
        return {f: v for f, v in self.values().items() if getattr(outcome, f) != v}


# Sharing --------------------------------------------------------------------------------------


class ShareForm(forms.Form):
    """Give a member view or change on a goal. Admins and leads see every goal by role, so only
    planners and viewers are offered."""

    member = MemberChoiceField(queryset=Membership.objects.none(), empty_label="Choose a member")
    access = forms.ChoiceField(
        label="Permission", choices=[("view", "Can view"), ("change", "Can edit")], initial="view"
    )

    def __init__(self, data: Any = None, *, goal: Goal) -> None:
        super().__init__(data)
        self.fields["member"].queryset = selectors.share_candidates(goal=goal)  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset


class UnshareForm(forms.Form):
    member = MemberChoiceField(queryset=Membership.objects.none())

    def __init__(self, data: Any = None, *, goal: Goal) -> None:
        super().__init__(data)
        self.fields["member"].queryset = selectors.share_candidates(goal=goal)  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset
