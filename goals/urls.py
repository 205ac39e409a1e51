from django.urls import path

from . import views

# Organization pages: /o/<org_slug>/…
urlpatterns = [
    # Goals: /o/<org_slug>/goals/ (the goal page itself, goal_detail, lives with the work app)
    path("goals/", views.goal_list, name="goal_list"),
    path("goals/new/", views.goal_create, name="goal_create"),
    path("goals/<int:goal_number>/edit/", views.goal_edit, name="goal_edit"),
    path("goals/<int:goal_number>/access/", views.goal_access, name="goal_access"),
    path(
        "goals/<int:goal_number>/access/revoke/",
        views.goal_access_revoke,
        name="goal_access_revoke",
    ),
    # Outcomes: /o/<org_slug>/goals/<n>/outcomes/new/ and /o/<org_slug>/outcomes/<n>/
    path("goals/<int:goal_number>/outcomes/new/", views.outcome_create, name="outcome_create"),
    path("outcomes/<int:outcome_number>/edit/", views.outcome_edit, name="outcome_edit"),
]
