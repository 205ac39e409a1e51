from django.urls import path

from . import views

# Organization pages: /o/<org_slug>/…
urlpatterns = [
    # Goals: /o/<org_slug>/goals/… (the goal list, with each goal's work, and editing, which
    # previews what a change does to the work, live with traceability; the goal page itself,
    # goal_detail, with the work app)
    path("goals/new/", views.goal_create, name="goal_create"),
    path("goals/<int:goal_number>/access/", views.goal_access, name="goal_access"),
    path(
        "goals/<int:goal_number>/access/revoke/",
        views.goal_access_revoke,
        name="goal_access_revoke",
    ),
    # Outcomes: /o/<org_slug>/goals/<n>/outcomes/new/ (editing a goal or an outcome shows what
    # the change would do to the work first: traceability.views.goal_change)
    path("goals/<int:goal_number>/outcomes/new/", views.outcome_create, name="outcome_create"),
]
