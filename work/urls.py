from django.urls import path

from . import views

# Organization pages: /o/<org_slug>/…
urlpatterns = [
    # The goal page, the planner's workspace: /o/<org_slug>/goals/<n>/
    path("goals/<int:goal_number>/", views.goal_detail, name="goal_detail"),
    path("goals/<int:goal_number>/tasks/add/", views.goal_task_add, name="goal_task_add"),
    path("goals/<int:goal_number>/tasks/paste/", views.goal_task_paste, name="goal_task_paste"),
    path(
        "goals/<int:goal_number>/confirm-links/",
        views.goal_confirm_links,
        name="goal_confirm_links",
    ),
    path("goals/<int:goal_number>/delete/", views.goal_delete, name="goal_delete"),
    path(
        "outcomes/<int:outcome_number>/check-in/",
        views.outcome_check_in,
        name="outcome_check_in",
    ),
    # Tasks: /o/<org_slug>/tasks/<n>/
    path("tasks/<int:task_number>/", views.task_detail, name="task_detail"),
    path("tasks/<int:task_number>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<int:task_number>/move/", views.task_move, name="task_move"),
    path("tasks/<int:task_number>/status/", views.task_status, name="task_status"),
    path("tasks/<int:task_number>/confirm/", views.task_confirm, name="task_confirm"),
    path("tasks/<int:task_number>/keep/", views.task_keep, name="task_keep"),
    # The work list: /o/<org_slug>/work/
    path("work/", views.work_list, name="work_list"),
    path("work/add/", views.task_quick_add, name="task_quick_add"),
    # The pickers' suggestions (htmx): /o/<org_slug>/work/pick/…
    path("work/pick/goals/", views.pick_goals, name="work_pick_goals"),
    path("work/pick/members/", views.pick_members, name="work_pick_members"),
    path("work/pick/outcomes/", views.pick_outcomes, name="work_pick_outcomes"),
]
