"""Input shapes of the updates app: a goal update (with a new value for any of the goal's
outcomes) and a member's reminder preference."""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms

from goals.models import Outcome

from .models import Health
from .services import BODY_MAX, CheckInValue


class UpdateForm(forms.Form):
    """How the goal is going, a short Markdown text, and optionally the outcomes' new values
    (one check-in each, made with the update). Only the goal's outcomes are offered."""

    health = forms.ChoiceField(choices=[("", "Choose…"), *Health.choices], label="Health")
    body = forms.CharField(
        required=False,
        max_length=BODY_MAX,
        label="What happened, what is next",
        help_text="Markdown: **bold**, *italic*, lists, [links](https://example.com).",
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args: Any, outcomes: Sequence[Outcome] = (), **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "update-%s")
        super().__init__(*args, **kwargs)
        self.outcomes = list(outcomes)
        for outcome in self.outcomes:
            unit = f" ({outcome.unit})" if outcome.unit else ""
            self.fields[f"outcome_{outcome.number}"] = forms.DecimalField(
                required=False,
                max_digits=14,
                decimal_places=2,
                label=f"{outcome.key} {outcome.title}: new value{unit}",
                help_text=f"Now {outcome.current}; target {outcome.target}. Blank: no check-in.",
            )

    def check_ins(self) -> list[CheckInValue]:
        """The check-ins asked for (a valid form's outcomes with a new value)."""
        values: list[CheckInValue] = []
        for outcome in self.outcomes:
            value = self.cleaned_data.get(f"outcome_{outcome.number}")
            if isinstance(value, Decimal):
                values.append(CheckInValue(outcome=outcome, value=value))
        return values


class ReminderPreferenceForm(forms.Form):
    reminders = forms.BooleanField(
        required=False,
        label="Email me when goals I own have gone a whole update cycle without an update",
    )
