from django.urls import path

from . import views

urlpatterns = [
    # A member's notifications: /o/<org_slug>/notifications/
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/bell/", views.notification_bell, name="notification_bell"),
    path("notifications/open/", views.notification_open, name="notification_open"),
    path("notifications/read/", views.notification_mark_read, name="notification_mark_read"),
    path("notifications/email/", views.notification_preferences, name="notification_preferences"),
    # The emailed unsubscribe links (a signed token stands for the member)
    path(
        "notifications/unsubscribe/",
        views.notification_unsubscribe,
        name="notification_unsubscribe",
    ),
    path(
        "notifications/unsubscribe/one-click/",
        views.notification_unsubscribe_one_click,
        name="notification_unsubscribe_one_click",
    ),
    # Following a goal: /o/<org_slug>/goals/<n>/follow/
    path("goals/<int:goal_number>/follow/", views.goal_follow, name="goal_follow"),
]
