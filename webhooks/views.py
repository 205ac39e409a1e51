"""The webhooks pages, admins only: /o/<org_slug>/settings/webhooks/ (the endpoints, and
registering one), …/<n>/ (an endpoint: its settings and its delivery log), and the actions on
it (rotate its secret, delete it, redeliver a delivery)."""

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from vindaris.lib import events
from vindaris.tenancy.access import OrgRequest, org_view
from vindaris.tenancy.models import Role

from . import selectors, services, tasks
from .forms import EndpointEditForm, EndpointForm
from .models import Endpoint


def _add_errors(form: Form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def _endpoint_or_404(request: OrgRequest, number: int) -> Endpoint:
    endpoint = selectors.endpoint_get(organization=request.organization, number=number)
    if endpoint is None:
        raise Http404("No such webhook endpoint.")
    return endpoint


def _secret_shown(response: HttpResponse) -> HttpResponse:
    """A page showing a secret is never cached."""
    add_never_cache_headers(response)
    return response


@org_view(min_role=Role.ADMIN)
@require_http_methods(["GET", "HEAD", "POST"])
def endpoint_list(request: OrgRequest) -> HttpResponse:
    """The organization's endpoints; POST registers one and shows its secret, once."""
    form = EndpointForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.endpoint_create(
                organization=request.organization,
                actor=request.membership,
                url=form.cleaned_data["url"],
                chosen_events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as e:
            _add_errors(form, e)
        else:
            return _secret_shown(_detail(request, endpoint, new_secret=secret, created=True))
    context = {
        "endpoints": list(selectors.endpoints_of(organization=request.organization)),
        "form": form,
        "event_types": events.TYPES,
    }
    return render(request, "webhooks/endpoint_list.html", context)


def _edit_form(endpoint: Endpoint) -> EndpointEditForm:
    return EndpointEditForm(
        initial={
            "url": endpoint.url,
            "description": endpoint.description,
            "events": endpoint.events,
            "active": endpoint.active,
        }
    )


def _detail(
    request: OrgRequest, endpoint: Endpoint, form: EndpointEditForm | None = None, **extra: Any
) -> HttpResponse:
    context = {
        "endpoint": endpoint,
        "form": form or _edit_form(endpoint),
        "deliveries": selectors.deliveries_of(endpoint=endpoint),
        "log_size": selectors.DELIVERY_LOG_SIZE,
        **extra,
    }
    return render(request, "webhooks/endpoint_detail.html", context)


@org_view(min_role=Role.ADMIN)
@require_http_methods(["GET", "HEAD", "POST"])
def endpoint_detail(request: OrgRequest, endpoint_number: int) -> HttpResponse:
    """An endpoint's settings and delivery log; POST changes the settings."""
    endpoint = _endpoint_or_404(request, endpoint_number)
    if request.method != "POST":
        return _detail(request, endpoint)
    form = EndpointEditForm(request.POST)
    if form.is_valid():
        try:
            services.endpoint_update(
                organization=request.organization,
                actor=request.membership,
                endpoint=endpoint,
                url=form.cleaned_data["url"],
                chosen_events=form.cleaned_data["events"],
                active=form.cleaned_data["active"],
                description=form.cleaned_data["description"],
            )
        except ValidationError as e:
            _add_errors(form, e)
        else:
            messages.success(request, f"Saved {endpoint.key}.")
            return redirect("webhook_detail", request.organization.slug, endpoint.number)
    return _detail(request, endpoint, form)


@org_view(min_role=Role.ADMIN)
@require_POST
def endpoint_rotate(request: OrgRequest, endpoint_number: int) -> HttpResponse:
    """A new signing secret, shown once on the answer."""
    endpoint = _endpoint_or_404(request, endpoint_number)
    endpoint, secret = services.endpoint_rotate_secret(
        organization=request.organization, actor=request.membership, endpoint=endpoint
    )
    return _secret_shown(_detail(request, endpoint, new_secret=secret))


@org_view(min_role=Role.ADMIN)
@require_POST
def endpoint_delete(request: OrgRequest, endpoint_number: int) -> HttpResponse:
    endpoint = _endpoint_or_404(request, endpoint_number)
    services.endpoint_delete(
        organization=request.organization, actor=request.membership, endpoint=endpoint
    )
    messages.success(request, f"Deleted {endpoint.key} ({endpoint.url}) and its delivery log.")
    return redirect("webhook_list", request.organization.slug)


@org_view(min_role=Role.ADMIN)
@require_POST
def delivery_redeliver(
    request: OrgRequest, endpoint_number: int, event_id: uuid.UUID
) -> HttpResponse:
    """Send a delivery again: the same event id and body, a new timestamp and signature."""
    endpoint = _endpoint_or_404(request, endpoint_number)
    delivery = selectors.delivery_get(endpoint=endpoint, event_id=event_id)
    if delivery is None:
        raise Http404("No such delivery.")
    try:
        with transaction.atomic():
            services.redeliver(
                organization=request.organization, actor=request.membership, delivery=delivery
            )
            organization_id, delivery_id = request.organization.pk, delivery.pk
            transaction.on_commit(lambda: tasks.send(organization_id, [delivery_id]))
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        if not endpoint.active:
            messages.info(request, f"Queued: it is sent once {endpoint.key} is active again.")
        else:
            messages.success(request, f"Sending {delivery.event.type} {event_id} again.")
    return redirect("webhook_detail", request.organization.slug, endpoint.number)
