import pytest
from django.core import mail

from vindaris.tenancy.models import Invitation, Membership, Organization, Role


@pytest.mark.parametrize(
    ("who", "status"), [("admin", 200), ("lead", 403), ("planner", 403), ("viewer", 403)]
)
def test_only_admins_open_the_settings_page(org, who, status, request, client_for):
    user = request.getfixturevalue(who)
    assert client_for(user).get(f"/o/{org.slug}/settings/").status_code == status


def test_every_member_sees_the_members_page(org, admin, viewer, client_for):
    response = client_for(viewer).get(f"/o/{org.slug}/members/")
    assert response.status_code == 200
    assert admin.email in response.content.decode()
    assert "Send invitation" not in response.content.decode()


def test_settings_are_saved(org, admin, client_for):
    response = client_for(admin).post(
        f"/o/{org.slug}/settings/",
        {
            "name": "Acme Corp",
            "timezone": "Europe/Paris",
            "digest_weekday": 4,
            "allow_goalless_work": "on",
            "starved_grace_days": 10,
        },
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert (
        org.name,
        org.timezone,
        org.digest_weekday,
        org.allow_goalless_work,
        org.starved_grace_days,
    ) == ("Acme Corp", "Europe/Paris", 4, True, 10)


def test_bad_settings_rerender_with_errors_and_change_nothing(org, admin, client_for):
    response = client_for(admin).post(
        f"/o/{org.slug}/settings/",
        {"name": "", "timezone": "Mars/Olympus", "digest_weekday": 9, "starved_grace_days": -1},
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    org.refresh_from_db()
    assert org.name == "Acme" and org.timezone == "UTC"


def test_lead_cannot_invite(org, admin, lead, client_for):
    response = client_for(lead).post(
        f"/o/{org.slug}/members/invite/", {"email": "x@y.z", "role": "admin"}
    )
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_admin_invites_with_htmx_and_sees_the_pending_row(
    org, admin, client_for, htmx_headers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin).post(
            f"/o/{org.slug}/members/invite/",
            {"email": "sam@acme.test", "role": "planner"},
            **htmx_headers,
        )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="members-panel"' in body and "sam@acme.test" in body
    assert "<html" not in body  # a fragment, not the page
    assert len(mail.outbox) == 1


def test_an_invalid_invitation_shows_the_error_inline(org, admin, client_for, htmx_headers):
    response = client_for(admin).post(
        f"/o/{org.slug}/members/invite/",
        {"email": "not-an-email", "role": "planner"},
        **htmx_headers,
    )
    assert response.status_code == 422
    assert "Enter a valid email address." in response.content.decode()
    assert not Invitation.objects.exists()


def test_admin_changes_a_role(org, admin, planner, client_for, membership_of):
    m = membership_of(planner, org)
    client_for(admin).post(f"/o/{org.slug}/members/role/", {"member": m.pk, "role": "lead"})
    assert membership_of(planner, org).role == Role.LEAD


def test_another_organizations_member_id_is_rejected(
    org, admin, outsider, other_org, client_for, membership_of
):
    foreign = membership_of(outsider, other_org)
    response = client_for(admin).post(
        f"/o/{org.slug}/members/role/", {"member": foreign.pk, "role": "viewer"}, follow=True
    )
    assert "That member or role is not valid." in response.content.decode()
    assert membership_of(outsider, other_org).role == Role.ADMIN
    client_for(admin).post(f"/o/{org.slug}/members/remove/", {"member": foreign.pk})
    assert Membership.objects.filter(pk=foreign.pk).exists()


def test_the_last_admin_is_told_why_they_cannot_leave(org, admin, client_for, membership_of):
    response = client_for(admin).post(
        f"/o/{org.slug}/members/remove/", {"member": membership_of(admin, org).pk}, follow=True
    )
    assert "The last admin cannot be removed." in response.content.decode()
    assert Membership.objects.filter(user=admin, organization=org).exists()


def test_signup_with_a_weak_password_is_refused(db, client):
    response = client.post(
        "/signup/",
        {"name": "A", "email": "a@b.example", "password": "123", "organization_name": "X"},
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert not Organization.objects.exists()


def test_signed_in_user_switches_between_organizations(org, other_org, admin, client_for):
    Membership.objects.create(organization=other_org, user=admin, role=Role.VIEWER)
    body = client_for(admin).get(f"/o/{org.slug}/").content.decode()
    assert f'href="/o/{other_org.slug}/"' in body
    assert client_for(admin).get(f"/o/{other_org.slug}/").status_code == 200


def test_login_lands_in_the_first_organization(org, admin, client):
    response = client.post(
        "/accounts/login/",
        {"username": admin.email, "password": "correct-horse-battery"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/o/{org.slug}/"


def test_password_reset_sends_a_single_use_link(org, admin, client):
    client.post("/accounts/password_reset/", {"email": admin.email})
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/reset/" in line).strip()
    path = "/" + link.split("/", 3)[3]
    form_page = client.get(path, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "brand-new-secret-1", "new_password2": "brand-new-secret-1"}
    )
    assert done.status_code == 302
    admin.refresh_from_db()
    assert admin.check_password("brand-new-secret-1")
    again = client.get(path, follow=True)
    assert "Link not valid" in again.content.decode()
