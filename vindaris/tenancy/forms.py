from collections.abc import Mapping
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

from .models import TIMEZONE_CHOICES, Invitation, Membership, Organization, Role, User, Weekday


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


class OrganizationCreateForm(forms.Form):
    name = forms.CharField(max_length=120, label="Organization name")


class OrganizationSettingsForm(forms.Form):
    name = forms.CharField(max_length=120)
    timezone = forms.ChoiceField(choices=TIMEZONE_CHOICES)
    digest_weekday = forms.TypedChoiceField(
        choices=Weekday.choices, coerce=int, label="Weekly digest day"
    )
    allow_goalless_work = forms.BooleanField(
        required=False, label="Allow capturing work without a goal (it will be orphaned)"
    )
    starved_grace_days = forms.IntegerField(
        min_value=0, max_value=365, label="Grace days before an active goal without work is starved"
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
