"""Input shape of the API tokens page."""

from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from vindaris.tenancy.models import Organization

from .models import Access, AccessToken
from .services import NAME_MAX_LENGTH

# How long a new token lives: a choice, not a date to type (an expiry is what matters, not
# the hour it falls on); "never" for tokens that machines hold.
EXPIRY_CHOICES = [
    ("30", "30 days"),
    ("90", "90 days"),
    ("365", "1 year"),
    ("never", "No expiry"),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX_LENGTH,
        help_text="What will use it: “CI pipeline”, “weekly report script”.",
    )
    access = forms.ChoiceField(
        choices=Access.choices,
        initial=Access.READ,
        help_text="A read-only token never changes anything, whatever your role.",
    )
    expires = forms.ChoiceField(choices=EXPIRY_CHOICES, initial="90", label="Expires after")

    def expires_at(self, now: datetime | None = None) -> datetime | None:
        days = self.cleaned_data["expires"]
        if days == "never":
            return None
        return (now or timezone.now()) + timedelta(days=int(days))


class TokenRevokeForm(forms.Form):
    """Names a token of the request's organization by its public id; another organization's
    is not a valid choice."""

    token = forms.CharField(max_length=12, widget=forms.HiddenInput)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization

    def clean_token(self) -> AccessToken:
        public_id = self.cleaned_data["token"]
        token = AccessToken.objects.filter(
            organization=self.organization, public_id=public_id
        ).first()
        if token is None:
            raise forms.ValidationError("Select a valid choice.")
        return token
