import html
from collections.abc import Mapping
from itertools import groupby
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from .models import Invitation, Membership, Organization, Role, UpdateCadence, User, Weekday
from .zones import ZONE_NAMES


class LoginForm(AuthenticationForm):
    """Django's log-in form with the email's length checked before authenticating: Django only
    sets it as an HTML attribute, and a longer value would reach django-axes' log of failed
    log-ins (a varchar(255) column) and fail there with a DataError."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # passes on Django's own arguments untouched
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))  # type: ignore[attr-defined]  # the username field is a CharField


# The email columns' length (forms.EmailField alone allows 320: a longer address is a form
# error, not a DataError).
EMAIL_MAX_LENGTH = 254


class SignUpForm(forms.Form):
    name = forms.CharField(max_length=150, label="Your name")
    email = forms.EmailField(max_length=EMAIL_MAX_LENGTH)
    password = forms.CharField(widget=forms.PasswordInput, strip=False)
    organization_name = forms.CharField(max_length=120, label="Organization name")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email already exists. Log in.")
        return email

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("password"):
            user = User(email=data.get("email", ""), name=data.get("name", ""))
            try:
                password_validation.validate_password(data["password"], user)
            except forms.ValidationError as e:
                self.add_error("password", e)
        return data


# Time zones ------------------------------------------------------------------------------------


def _area(name: str) -> str:
    area, slash, _ = name.partition("/")
    return area if slash and area not in {"Etc", "SystemV"} else "Other"


# Every zone, grouped by its area ("Europe", "Pacific"…); the rest (UTC, Etc/GMT+5, old aliases
# such as US/Pacific) under "Other", last.
ZONE_GROUPS: list[tuple[str, list[tuple[str, str]]]] = [
    (area, [(name, name.replace("_", " ")) for name in names])
    for area, names in groupby(
        sorted(ZONE_NAMES, key=lambda n: (_area(n) == "Other", _area(n), n)), key=_area
    )
]


class ZoneSelect(forms.Select):
    """The time zones grouped by area, written in Python in the markup of Django's own select:
    six hundred options in a millisecond, where the widget templates take tens."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        chosen = "" if value is None else str(value)

        def option(key: str, label: str) -> str:
            selected = " selected" if key == chosen else ""
            return f'<option value="{html.escape(key)}"{selected}>{html.escape(label)}</option>'

        parts = []
        for key, label in self.choices:
            if isinstance(label, list | tuple):  # an area and its zones
                inner = "".join(option(str(k), str(lb)) for k, lb in label)
                parts.append(f'<optgroup label="{html.escape(str(key))}">{inner}</optgroup>')
            else:
                parts.append(option(str(key), str(label)))
        return format_html("<select{}>{}</select>", flatatt(final_attrs), mark_safe("".join(parts)))  # noqa: S308 - escaped above


class ZoneField(forms.ChoiceField):
    """An IANA time zone from the system's list; with a `blank_label`, blank is allowed too and
    offered first under that label."""

    widget = ZoneSelect
    default_error_messages = {
        "invalid_choice": "%(value)s is not a time zone. Choose one from the list, such as "
        "Europe/Paris.",
    }

    def __init__(self, *, blank_label: str | None = None, **kwargs: Any) -> None:
        choices: list[Any] = [("", blank_label)] if blank_label is not None else []
        super().__init__(choices=choices + ZONE_GROUPS, required=blank_label is None, **kwargs)

    def set_blank_label(self, label: str) -> None:
        self.choices = [("", label), *ZONE_GROUPS]


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(max_length=120, label="Organization name")


class OrganizationSettingsForm(forms.Form):
    name = forms.CharField(max_length=120)
    timezone = ZoneField(
        label="Time zone",
        help_text="The organization's day and week (daily snapshot, weekly digest, grace days) "
        "and the times members see unless they choose their own zone.",
    )
    digest_weekday = forms.TypedChoiceField(
        choices=Weekday.choices, coerce=int, label="Weekly digest day"
    )
    allow_goalless_work = forms.BooleanField(
        required=False, label="Allow capturing work without a goal (it will be orphaned)"
    )
    starved_grace_days = forms.IntegerField(
        min_value=0, max_value=365, label="Grace days before an active goal without work is starved"
    )
    # Not required: a form posted without them keeps the organization's cadence and day.
    update_cadence_weeks = forms.TypedChoiceField(
        choices=UpdateCadence.choices,
        coerce=int,
        required=False,
        empty_value=None,
        label="Goal updates",
        help_text="How often each active goal's owner posts an update; a goal without one for a "
        "whole cycle is stale, and its owner is reminded.",
    )
    update_weekday = forms.TypedChoiceField(
        choices=Weekday.choices,
        coerce=int,
        required=False,
        empty_value=None,
        label="Goal update day",
        help_text="The day each update cycle starts, at midnight in the organization's time zone.",
    )

    @classmethod
    def for_organization(
        cls, organization: Organization, data: Mapping[str, Any] | None = None
    ) -> "OrganizationSettingsForm":
        return cls(
            data,
            initial={
                "name": organization.name,
                "timezone": organization.timezone,
                "digest_weekday": organization.digest_weekday,
                "allow_goalless_work": organization.allow_goalless_work,
                "starved_grace_days": organization.starved_grace_days,
                "update_cadence_weeks": organization.update_cadence_weeks,
                "update_weekday": organization.update_weekday,
            },
        )


class InviteForm(forms.Form):
    email = forms.EmailField(max_length=EMAIL_MAX_LENGTH)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.PLANNER)


class MemberForm(forms.Form):
    """Names a member of the request's organization; another organization's id is not a choice."""

    member = forms.ModelChoiceField(queryset=Membership.objects.none(), widget=forms.HiddenInput)

    def __init__(self, *args: object, organization: Organization, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # passes on Django's own arguments untouched
        self.fields["member"].queryset = Membership.objects.filter(  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset
            organization=organization
        ).select_related("user")


class MemberRoleForm(MemberForm):
    role = forms.ChoiceField(choices=Role.choices)


class InvitationRevokeForm(forms.Form):
    invitation = forms.ModelChoiceField(
        queryset=Invitation.objects.none(), widget=forms.HiddenInput
    )

    def __init__(self, *args: object, organization: Organization, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # passes on Django's own arguments untouched
        self.fields["invitation"].queryset = Invitation.objects.filter(  # type: ignore[attr-defined]  # form.fields holds plain Fields; this one chooses from a queryset
            organization=organization, accepted_at=None, revoked_at=None
        )


class AcceptNewUserForm(forms.Form):
    name = forms.CharField(max_length=150, label="Your name")
    password = forms.CharField(widget=forms.PasswordInput, strip=False)

    def __init__(self, *args: object, email: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # passes on Django's own arguments untouched
        self.email = email

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        password_validation.validate_password(
            password, User(email=self.email, name=self.data.get("name", ""))
        )
        return password
