from django.urls import path  # noqa: F401

# Organization pages: /o/<org_slug>/…
urlpatterns: list = []
