from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import selectors, services
from .access import OrgRequest, org_view
from .forms import (
    AcceptNewUserForm,
    InvitationRevokeForm,
    InviteForm,
    MemberForm,
    MemberRoleForm,
    OrganizationCreateForm,
    OrganizationSettingsForm,
    SignUpForm,
)
from .models import Role

# Public pages ----------------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    """Signed-in users land in their first organization; others on the login page."""
    if not request.user.is_authenticated:
        return redirect("login")
    memberships = selectors.memberships_for_user(user=request.user)
    if not memberships:
        return redirect("organization_create")
    return redirect("org_home", org_slug=memberships[0].organization.slug)


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        membership = services.user_sign_up(**form.cleaned_data)
        login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to Vindaris. {membership.organization.name} is ready.")
        return redirect("org_home", org_slug=membership.organization.slug)
    return render(request, "tenancy/signup.html", {"form": form})


@login_required
def organization_create(request: HttpRequest) -> HttpResponse:
    form = OrganizationCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organization = services.organization_create(
            name=form.cleaned_data["name"],
            actor=request.user,  # type: ignore[arg-type]  # the view requires a signed-in user
        )
        messages.success(request, f"{organization.name} created. You are its admin.")
        return redirect("org_home", org_slug=organization.slug)
    return render(request, "tenancy/organization_create.html", {"form": form})


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "tenancy/invitation_invalid.html", status=404)
    user = request.user if request.user.is_authenticated else None
    existing_account = services.User.objects.filter(email__iexact=invitation.email).exists()
    form = (
        None
        if user or existing_account
        else AcceptNewUserForm(request.POST or None, email=invitation.email)
    )
    if request.method == "POST":
        if form is not None and not form.is_valid():
            return render(request, "tenancy/invitation_accept.html", _accept_ctx(invitation, form))
        try:
            membership = services.invitation_accept(
                token=token,
                user=user,
                **(form.cleaned_data if form else {}),
            )
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
            return redirect("invitation_accept", token=token)
        if user is None:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"You joined {membership.organization.name}.")
        return redirect("org_home", org_slug=membership.organization.slug)
    return render(request, "tenancy/invitation_accept.html", _accept_ctx(invitation, form))


def _accept_ctx(invitation: services.Invitation, form: AcceptNewUserForm | None) -> dict:
    return {"invitation": invitation, "form": form}


# Organization pages: /o/<org_slug>/ ------------------------------------------------------------


def _members_context(request: OrgRequest, **extra: object) -> dict:
    return {
        "members": selectors.members_of(organization=request.organization),
        "invitations": selectors.pending_invitations(organization=request.organization)
        if request.membership.is_admin
        else [],
        "invite_form": InviteForm(),
        "roles": Role.choices,
        **extra,
    }


def _members_response(request: OrgRequest, **extra: object) -> HttpResponse:
    if request.htmx:
        return render(
            request,
            "tenancy/members.html#members-panel",
            _members_context(request, fragment=True, **extra),
        )
    return redirect("members", org_slug=request.organization.slug)


@org_view()
def members(request: OrgRequest) -> HttpResponse:
    return render(request, "tenancy/members.html", _members_context(request))


@org_view(min_role=Role.ADMIN)
@require_POST
def member_invite(request: OrgRequest) -> HttpResponse:
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            services.invitation_create(
                organization=request.organization,
                actor=request.user,
                **form.cleaned_data,
            )
        except ValidationError as e:
            form.add_error("email", e)
    if not form.is_valid():
        ctx = _members_context(request, invite_form=form, fragment=bool(request.htmx))
        return render(
            request,
            "tenancy/members.html#members-panel" if request.htmx else "tenancy/members.html",
            ctx,
            status=422 if request.htmx else 200,
        )
    messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
    return _members_response(request)


@org_view(min_role=Role.ADMIN)
@require_POST
def member_change_role(request: OrgRequest) -> HttpResponse:
    form = MemberRoleForm(request.POST, organization=request.organization)
    if not form.is_valid():
        messages.error(request, "That member or role is not valid.")
        return _members_response(request)
    try:
        membership = services.membership_change_role(
            organization=request.organization,
            actor=request.user,
            membership=form.cleaned_data["member"],
            role=form.cleaned_data["role"],
        )
        messages.success(request, f"{membership.user} is now {membership.get_role_display()}.")
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    return _members_response(request)


@org_view(min_role=Role.ADMIN)
@require_POST
def member_remove(request: OrgRequest) -> HttpResponse:
    form = MemberForm(request.POST, organization=request.organization)
    if not form.is_valid():
        messages.error(request, "That member is not valid.")
        return _members_response(request)
    membership = form.cleaned_data["member"]
    try:
        services.membership_remove(
            organization=request.organization,
            actor=request.user,
            membership=membership,
        )
        messages.success(request, f"{membership.user} was removed from {request.organization}.")
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    if membership.user_id == request.user.pk and not request.htmx:
        return redirect("home")
    return _members_response(request)


@org_view(min_role=Role.ADMIN)
@require_POST
def invitation_revoke(request: OrgRequest) -> HttpResponse:
    form = InvitationRevokeForm(request.POST, organization=request.organization)
    if form.is_valid():
        services.invitation_revoke(
            organization=request.organization,
            actor=request.user,
            invitation=form.cleaned_data["invitation"],
        )
        messages.success(request, "Invitation revoked.")
    else:
        messages.error(request, "That invitation is not valid.")
    return _members_response(request)


@org_view(min_role=Role.ADMIN)
def organization_settings(request: OrgRequest) -> HttpResponse:
    form = OrganizationSettingsForm.for_organization(request.organization, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.organization_update(
            organization=request.organization,
            actor=request.user,
            name=data["name"],
            timezone_name=data["timezone"],
            digest_weekday=data["digest_weekday"],
            allow_goalless_work=data["allow_goalless_work"],
            starved_grace_days=data["starved_grace_days"],
            update_cadence_weeks=data["update_cadence_weeks"],
            update_weekday=data["update_weekday"],
        )
        messages.success(request, "Settings saved.")
        return redirect("organization_settings", org_slug=request.organization.slug)
    return render(request, "tenancy/organization_settings.html", {"form": form})
