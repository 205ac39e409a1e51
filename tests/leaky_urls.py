"""Test-only URLs: the real ones plus a canary view that forgets the membership check."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path

from vindaris.tenancy.models import Organization
from vindaris.urls import urlpatterns as real_urlpatterns


def leaky_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = get_object_or_404(Organization, slug=org_slug)  # no membership check: a leak
    organization.name = organization.name + "!"
    organization.save(update_fields=["name"])
    Organization.objects.create(
        name="written by a leak", slug=f"leak-{Organization.objects.count()}"
    )
    return HttpResponse(organization.name)


urlpatterns = [*real_urlpatterns, path("o/<slug:org_slug>/leak/", leaky_view, name="leak")]
