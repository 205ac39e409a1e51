"""Test-only URLs: the real ones plus canary views with the faults the hardening harness must
catch (and one it must not blame)."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import path

from vindaris.tenancy.models import Organization
from vindaris.urls import urlpatterns as real_urlpatterns


def _org() -> Organization:
    return Organization.objects.get(slug="acme")


def writes_then_refuses(request: HttpRequest) -> HttpResponse:
    Organization.objects.create(name="written by a refused request", slug="canary-insert")
    return HttpResponseBadRequest("no")


class NameForm(forms.Form):
    name = forms.CharField(max_length=5)


def updates_then_shows_form_errors(request: HttpRequest) -> HttpResponse:
    form = NameForm(request.POST)
    Organization.objects.filter(pk=_org().pk).update(name="renamed")
    form.is_valid()
    return HttpResponse(str(form.errors))


def stores_nul(request: HttpRequest) -> HttpResponse:
    Organization.objects.filter(pk=_org().pk).update(name=request.POST.get("name", "a\x00b"))
    return HttpResponse("ok")


def redirects_away(request: HttpRequest) -> HttpResponse:
    return redirect("https://evil.example/")


def rolls_back_then_refuses(request: HttpRequest) -> HttpResponse:
    """A service that wrote, then raised: its transaction is undone, so nothing was written."""
    try:
        with transaction.atomic():
            Organization.objects.create(name="undone", slug="canary-undone")
            raise ValidationError("no")
    except ValidationError:
        return HttpResponseBadRequest("no")


urlpatterns = [
    *real_urlpatterns,
    path("canary/insert/", writes_then_refuses),
    path("canary/update/", updates_then_shows_form_errors),
    path("canary/nul/", stores_nul),
    path("canary/away/", redirects_away),
    path("canary/undone/", rolls_back_then_refuses),
]
