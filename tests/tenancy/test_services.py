from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from vindaris.tenancy import services
from vindaris.tenancy.models import Invitation, Membership, Role


def test_sign_up_makes_the_user_admin_of_a_new_organization(db):
    membership = services.user_sign_up(
        email="Fran@Initech.example",
        password="a-long-secret",
        name="Fran",
        organization_name="Initech",
    )
    assert membership.role == Role.ADMIN
    assert membership.organization.slug == "initech"
    assert membership.user.email == "fran@initech.example"
    assert membership.user.check_password("a-long-secret")


def test_organization_slugs_stay_unique(admin, org):
    second = services.organization_create(name=org.name, actor=admin)
    assert second.slug != org.slug
    assert second.slug.startswith(org.slug)


def test_the_last_admin_cannot_be_demoted_or_removed(org, admin, membership_of):
    with pytest.raises(ValidationError):
        services.membership_change_role(
            organization=org, actor=admin, membership=membership_of(admin, org), role=Role.LEAD
        )
    with pytest.raises(ValidationError):
        services.membership_remove(
            organization=org, actor=admin, membership=membership_of(admin, org)
        )
    assert membership_of(admin, org).role == Role.ADMIN


def test_an_admin_can_be_demoted_once_another_admin_exists(org, admin, lead, membership_of):
    services.membership_change_role(
        organization=org, actor=admin, membership=membership_of(lead, org), role=Role.ADMIN
    )
    services.membership_change_role(
        organization=org, actor=lead, membership=membership_of(admin, org), role=Role.VIEWER
    )
    assert membership_of(admin, org).role == Role.VIEWER


def _invite(
    org, admin, email="new@acme.test", role=Role.PLANNER, django_capture_on_commit_callbacks=None
):
    return services.invitation_create(organization=org, actor=admin, email=email, role=role)


def _token_from_outbox() -> str:
    return mail.outbox[-1].body.split("/invite/")[1].split("/")[0]


def test_an_invitation_emails_a_single_use_link(org, admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(org, admin)
    assert mail.outbox[-1].to == ["new@acme.test"]
    assert org.name in mail.outbox[-1].subject
    assert mail.outbox[-1].alternatives  # an HTML part too
    token = _token_from_outbox()

    membership = services.invitation_accept(
        token=token, user=None, password="pw-long-enough", name="N"
    )
    assert membership.role == Role.PLANNER and membership.organization == org
    with pytest.raises(ValidationError):
        services.invitation_accept(token=token, user=None, password="pw-long-enough", name="N")
    assert Membership.objects.filter(organization=org, user__email="new@acme.test").count() == 1


def test_an_expired_invitation_cannot_be_accepted(org, admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = _invite(org, admin)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(ValidationError):
        services.invitation_accept(token=_token_from_outbox(), user=None, password="pw-long-enough")
    assert not Membership.objects.filter(user__email="new@acme.test").exists()


def test_a_new_invitation_revokes_the_previous_link(org, admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(org, admin)
    first = _token_from_outbox()
    with django_capture_on_commit_callbacks(execute=True):
        _invite(org, admin, role=Role.LEAD)
    assert services.invitation_for_token(first) is None
    membership = services.invitation_accept(
        token=_token_from_outbox(), user=None, password="pw-long-enough"
    )
    assert membership.role == Role.LEAD


def test_an_invitation_is_only_for_its_address(
    org, admin, outsider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(org, admin)
    with pytest.raises(ValidationError):
        services.invitation_accept(token=_token_from_outbox(), user=outsider)
    assert not Membership.objects.filter(organization=org, user=outsider).exists()


def test_an_existing_user_accepts_while_signed_in(
    org, admin, outsider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _invite(org, admin, email=outsider.email, role=Role.VIEWER)
    membership = services.invitation_accept(token=_token_from_outbox(), user=outsider)
    assert membership.role == Role.VIEWER and membership.user == outsider


def test_members_cannot_be_invited_twice(org, admin, lead):
    with pytest.raises(ValidationError):
        _invite(org, admin, email=lead.email)
