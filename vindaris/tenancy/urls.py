from django.urls import path

from . import views

# Public and account pages: /
public_urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("signup/", views.signup, name="signup"),
    path("orgs/new/", views.organization_create, name="organization_create"),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
]

# Organization pages: /o/<org_slug>/
org_urlpatterns = [
    path("members/", views.members, name="members"),
    path("members/invite/", views.member_invite, name="member_invite"),
    path("members/role/", views.member_change_role, name="member_change_role"),
    path("members/remove/", views.member_remove, name="member_remove"),
    path("members/invitations/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("settings/", views.organization_settings, name="organization_settings"),
]
