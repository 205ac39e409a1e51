"""Input shapes of the traceability pages. Every choice lists only the request's organization's
objects, so another organization's task or goal is "not a valid choice" and never reaches a
service."""

import html
from datetime import date
from typing import Any

from django import forms
from django.db.models import Q
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from goals import selectors as goal_selectors
from goals import visibility as goal_visibility
from goals.forms import MemberChoiceField, Quarter, members_choices, organization_today
from goals.models import Goal, GoalStatus
from vindaris.tenancy.forms import ZoneField
from vindaris.tenancy.models import Membership, Organization
from work.models import Task

from .services import GOAL_ACTIONS


class DigestPreferenceForm(forms.Form):
    """A member's own preferences in one organization: the weekly digest, and the time zone its
    pages show times in (blank: the organization's)."""

    receive = forms.BooleanField(
        required=False,
        label="Email me the weekly digest",
        help_text="Unticked: no digest from this organization. Other organizations keep theirs.",
    )
    timezone = ZoneField(
        blank_label="The organization's zone",
        label="Your time zone",
        help_text="Dates and times on this organization's pages are shown in this zone.",
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].set_blank_label(  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one is a ZoneField
            f"The organization's zone ({organization.timezone})"
        )


# The coverage dashboard -----------------------------------------------------------------------

SORT_LABELS = {
    "goal": "Goal",
    "priority": "Priority",
    "live_tasks": "Live tasks (subtree)",
    "live_effort": "Live effort (subtree)",
    "share": "Share",
    "implied": "Implied",
    "funding": "Funding",
    "done": "Done",
    "progress": "Progress",
    "activity": "Last activity",
    "gaps": "Gaps",
}
SORT_CHOICES = [(key, label) for key, label in SORT_LABELS.items()] + [
    (f"-{key}", f"{label}, descending") for key, label in SORT_LABELS.items()
]


class PlainSelect(forms.Select):
    """A <select> written in Python from (value, label) pairs (`pairs`, rather than `choices`,
    which Django normalizes one by one), in the markup of Django's own: hundreds of options in
    a millisecond or two, where the widget templates take tens."""

    pairs: list[tuple[Any, str]] = []

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        chosen = {str(v) for v in self.format_value(value)}
        options = "".join(
            f'<option value="{html.escape(key)}"{" selected" if key in chosen else ""}>'
            f"{html.escape(label)}</option>"
            for key, label in ((str(k), str(lb)) for k, lb in self.pairs)
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), mark_safe(options))  # noqa: S308 - escaped above


def owner_choices(
    organization: Organization, viewer: Membership | None, chosen: Any, **goals: Any
) -> list[tuple[Any, str]]:
    """An owner filter's options: the members who own a goal `viewer` may see among the goals
    the filter applies to (`goals`: field lookups), and the one asked for, by name. Read as
    plain values: no model objects for hundreds of members."""
    owners = Goal.objects.filter(
        goal_visibility.visible_q(viewer), organization=organization, **goals
    ).values("owner_id")
    condition = Q(pk__in=owners)
    if isinstance(chosen, str) and chosen.isdigit() and len(chosen) < 10:
        condition |= Q(pk=int(chosen))
    rows = (
        Membership.objects.filter(condition, organization=organization)
        .order_by("user__name", "user__email")
        .values_list("pk", "user__name", "user__email")
    )
    return [("", "Anyone")] + [(pk, name or email.split("@")[0]) for pk, name, email in rows]


class CoverageFilterForm(forms.Form):
    """The goals table's filters and sort (GET). Invalid values are reported and ignored."""

    # Any member is a valid owner (a bookmarked filter stays valid); the options list those
    # who own an active goal (`offer_owners`).
    owner = MemberChoiceField(
        queryset=Membership.objects.none(),
        required=False,
        empty_label="Anyone",
        widget=PlainSelect,
    )
    period = forms.ChoiceField(required=False)
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False, widget=forms.HiddenInput)

    def __init__(
        self, data: Any = None, *, organization: Organization, today: date | None = None
    ) -> None:
        super().__init__(data, auto_id="coverage-%s")
        self.fields["owner"].queryset = members_choices(organization)  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset
        current = Quarter.of(today or organization_today(organization))
        quarters = [Quarter(current.year - 1, 1).shifted(i) for i in range(12)]
        asked = Quarter.parse((data or {}).get("period", ""))
        if asked is not None and asked not in quarters:
            quarters = sorted([*quarters, asked])  # a bookmarked quarter stays selectable
        self.fields["period"].choices = [("", "Any period")] + [  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one is a ChoiceField
            (q.value, q.label) for q in quarters
        ]

    def offer_owners(self, owners: list[tuple[int, str]]) -> None:
        """The owner list's options: (membership id, name), e.g. selectors.Overview.owners."""
        self.fields["owner"].widget.pairs = [("", "Anyone"), *owners]

    @property
    def asked_owner(self) -> int | None:
        """The owner id asked for, valid or not, so that it stays among the options."""
        value = self.data.get("owner", "") if self.is_bound else ""
        return int(value) if value.isdigit() and len(value) < 10 else None

    def filters(self) -> dict[str, Any]:
        """The valid filters as keyword arguments of selectors.coverage_overview."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        quarter = Quarter.parse(data.get("period") or "")
        return {
            "owner": data.get("owner"),
            "period_start": quarter.start if quarter else None,
            "period_end": quarter.end if quarter else None,
        }

    @property
    def sort_key(self) -> str:
        """The valid sort, or the default: the goal tree (each goal under its parent)."""
        self.is_valid()
        return getattr(self, "cleaned_data", {}).get("sort") or "goal"

    @property
    def is_filtered(self) -> bool:
        return any(v for v in self.filters().values())


# The triage queues ----------------------------------------------------------------------------

# What a lead may do in each queue; the label is the button's.
QUEUE_ACTIONS: dict[str, list[tuple[str, str]]] = {
    "orphaned": [("link", "Link"), ("cancel", "Cancel")],
    "stranded": [("move", "Move"), ("keep", "Keep"), ("cancel", "Cancel")],
    "suspect": [("confirm", "Confirm"), ("move", "Move"), ("cancel", "Cancel")],
    "starved": [("hold", "Put on hold")],
    "stop": [("cancel", "Cancel")],
}
NEEDS_GOAL = GOAL_ACTIONS
# One bulk action acts on at most this many rows (two pages of a queue).
TRIAGE_MAX = 100
# Where an action was sent from: the queue's bulk bar, a row's goal picker or keep form, a
# row's single button. An invalid htmx request re-renders that form with its errors.
VIA_CHOICES = [("button", "button"), ("bulk", "bulk"), ("pick", "pick"), ("keep", "keep")]


class NumberedChoiceField(forms.ModelMultipleChoiceField):
    """Tasks or goals named by their number, as they are everywhere in the interface."""

    def __init__(self, *, noun: str, **kwargs: Any) -> None:
        super().__init__(
            queryset=Task.objects.none(),
            to_field_name="number",
            required=False,
            **kwargs,
        )
        self.noun = noun


class ActiveGoalField(forms.ModelChoiceField):
    """An active goal of the organization, named by its number; labelled "G-12 Title (P1)"."""

    def label_from_instance(self, obj: Goal) -> str:
        return f"{obj.key} {obj.title} ({obj.get_priority_display()})"


class TriageForm(forms.Form):
    """One triage action on one or several rows of a queue. Rows and goals are looked up in
    the request's organization only; an action the queue does not offer is not a valid
    choice."""

    action = forms.ChoiceField(choices=())
    tasks = NumberedChoiceField(noun="task")
    goals = NumberedChoiceField(noun="goal")
    to_goal = ActiveGoalField(
        queryset=Goal.objects.none(),
        to_field_name="number",
        required=False,
        label="Goal",
        empty_label="Choose an active goal",
    )
    reason = forms.CharField(max_length=300, required=False, label="Why")
    via = forms.ChoiceField(choices=VIA_CHOICES, required=False, widget=forms.HiddenInput)

    def __init__(
        self, data: Any = None, *, organization: Organization, kind: str, **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.kind = kind
        self.fields["action"].choices = QUEUE_ACTIONS[kind]  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one is a ChoiceField
        self.fields["tasks"].queryset = Task.objects.filter(  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset
            organization=organization
        ).select_related("goal")
        self.fields["goals"].queryset = Goal.objects.filter(  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset
            organization=organization
        )
        # Triage is for leads and admins, who see every goal.
        self.fields["to_goal"].queryset = goal_selectors.active_goal_choices(  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset
            organization=organization, viewer=None
        )

    @property
    def rows_field(self) -> str:
        return "goals" if self.kind == "starved" else "tasks"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        rows = data.get(self.rows_field)
        if self.rows_field not in self.errors:
            if not rows:
                self.add_error(
                    self.rows_field,
                    f"Select at least one {self.fields[self.rows_field].noun}.",  # type: ignore[attr-defined]  # the rows field is a picker, which names its noun
                )
            elif len(rows) > TRIAGE_MAX:
                self.add_error(self.rows_field, f"Act on at most {TRIAGE_MAX} rows at once.")
        action = data.get("action")
        if action in NEEDS_GOAL and not data.get("to_goal") and "to_goal" not in self.errors:
            self.add_error("to_goal", "Choose the active goal this work should serve.")
        if action == "keep" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why this work continues.")
        return data

    @property
    def origin(self) -> str:
        """Where the action was sent from (see VIA_CHOICES); "button" when unknown."""
        value = self.data.get("via", "") if self.is_bound else ""
        return value if value in dict(VIA_CHOICES) else "button"


class TriageSelectionForm(forms.Form):
    """The rows a triage page opens with (GET ?tasks=12&tasks=13, or ?goals= for starved)."""

    tasks = NumberedChoiceField(noun="task")
    goals = NumberedChoiceField(noun="goal")

    def __init__(self, data: Any, *, organization: Organization) -> None:
        super().__init__(data)
        self.fields["tasks"].queryset = Task.objects.filter(  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset
            organization=organization
        ).select_related("goal")
        self.fields["goals"].queryset = Goal.objects.filter(  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset
            organization=organization, status=GoalStatus.ACTIVE
        )


class GoalSearchForm(forms.Form):
    """The text filter of the goal picker."""

    q = forms.CharField(
        required=False,
        max_length=200,
        label="Find a goal",
        widget=forms.TextInput(
            attrs={"type": "search", "autocomplete": "off", "placeholder": "Title or G-12"}
        ),
    )

    def query(self) -> str:
        self.is_valid()
        return (getattr(self, "cleaned_data", {}).get("q") or "").strip()
