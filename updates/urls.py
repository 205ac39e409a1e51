from django.urls import path

from . import views

# Organization pages: /o/<org_slug>/…
urlpatterns = [
    # A goal's updates: /o/<org_slug>/goals/<n>/updates/ (its history) and …/updates/new/
    path("goals/<int:goal_number>/updates/", views.update_list, name="update_list"),
    path("goals/<int:goal_number>/updates/new/", views.update_create, name="update_create"),
    # One update: /o/<org_slug>/updates/<n>/ (where its notification lands)
    path("updates/<int:update_number>/", views.update_detail, name="update_detail"),
    # A member's own reminder preference: /o/<org_slug>/updates/reminders/
    path("updates/reminders/", views.reminder_preferences, name="update_reminder_preferences"),
    # The reminder email's signed unsubscribe links (no login)
    path(
        "updates/reminders/unsubscribe/",
        views.reminder_unsubscribe,
        name="update_reminder_unsubscribe",
    ),
    path(
        "updates/reminders/unsubscribe/one-click/",
        views.reminder_unsubscribe_one_click,
        name="update_reminder_unsubscribe_one_click",
    ),
]
