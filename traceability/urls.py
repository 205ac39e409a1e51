from django.urls import path

from .views import digest

# Organization pages: /o/<org_slug>/…
urlpatterns: list = [
    # The weekly digest: a member's own preference, and the emailed one-click unsubscribe link
    path("digest/", digest.digest_preferences, name="digest_preferences"),
    path("digest/unsubscribe/", digest.digest_unsubscribe, name="digest_unsubscribe"),
    path(
        "digest/unsubscribe/one-click/",
        digest.digest_unsubscribe_one_click,
        name="digest_unsubscribe_one_click",
    ),
    # The trace tree: /o/<org_slug>/trace/…
    # The coverage dashboard and triage queues: /o/<org_slug>/coverage/…
]
