from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path

from api import urls as api_urls
from vindaris.tenancy import urls as tenancy_urls
from vindaris.tenancy.forms import LoginForm

# Every page of an organization lives under /o/<org_slug>/ and is resolved by tenancy.access.
org_patterns: list[URLPattern | URLResolver] = [
    *tenancy_urls.org_urlpatterns,
    path("", include("goals.urls")),
    path("", include("work.urls")),
    path("", include("traceability.urls")),
    *api_urls.org_urlpatterns,
    path("", include("imports.urls")),
    path("", include("updates.urls")),
    path("", include("discussions.urls")),
    path("", include("notifications.urls")),
    path("", include("webhooks.urls")),
]

# A database outage answers 503 "try again" (or, after a saved write, a redirect); anything else
# is Django's 500.
handler500 = "vindaris.lib.outage.server_error"

urlpatterns = [
    *tenancy_urls.public_urlpatterns,
    # Accounts: /accounts/ (login with email, logout, password reset)
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    # Staff: /admin/
    path("admin/", admin.site.urls),
    path("o/<slug:org_slug>/", include(org_patterns)),
    # The public API: /api/v1/ (api.v1)
    path("api/", include("api.urls")),
]
