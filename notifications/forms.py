"""Input shapes of the notifications pages."""

from typing import Any

from django import forms

from .models import Kind


class EmailPreferenceForm(forms.Form):
    """Which kinds of notification also come to the member by email."""

    kinds = forms.MultipleChoiceField(
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Also email me about",
        help_text="Whatever you choose, every notification shows under the bell.",
    )


class NotificationForm(forms.Form):
    """One of the member's own notifications, by id (never in a URL: ids stay out of them)."""

    notification = forms.IntegerField(min_value=1, max_value=2**63 - 1)


class MarkReadForm(forms.Form):
    """Mark one notification read, or all of them."""

    notification = forms.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    all = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("all") and not cleaned.get("notification"):
            raise forms.ValidationError("Choose a notification, or all of them.")
        return cleaned


class FollowForm(forms.Form):
    """Follow a goal, or stop following it."""

    follow = forms.TypedChoiceField(
        choices=[("1", "Follow"), ("0", "Unfollow")], coerce=lambda v: v == "1"
    )


class UnsubscribeForm(forms.Form):
    """The confirm button of an emailed unsubscribe link (the token is in the query string)."""
