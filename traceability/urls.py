from django.urls import path

from . import views

# Organization pages: /o/<org_slug>/…
urlpatterns: list = [
    # The weekly digest: a member's own preference, and the emailed one-click unsubscribe link
    path("digest/", views.digest_preferences, name="digest_preferences"),
    path("digest/unsubscribe/", views.digest_unsubscribe, name="digest_unsubscribe"),
    path(
        "digest/unsubscribe/one-click/",
        views.digest_unsubscribe_one_click,
        name="digest_unsubscribe_one_click",
    ),
]
