"""Import pages: /o/<org_slug>/import/… (admins and leads)."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRefresh

from vindaris.tenancy.access import OrgRequest, org_view
from vindaris.tenancy.models import Role

from . import progress, selectors, services
from .forms import MappingForm, UploadForm
from .mapping import Mapping
from .models import ImportRun, ImportState

IMPORTER = Role.LEAD  # leads and admins


def _detail_url(request: OrgRequest, run: ImportRun) -> str:
    return reverse("import_detail", args=[request.organization.slug, run.number])


@org_view(min_role=IMPORTER)
@require_http_methods(["GET", "HEAD", "POST"])
def import_start(request: OrgRequest) -> HttpResponse:
    """Upload a file; its dry run starts at once, in the background."""
    form = UploadForm()
    status = 200
    if request.method == "POST":
        # Refuse a file over the limit before its body is read.
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > services.MAX_FILE_BYTES + 64 * 1024:
            form = UploadForm(data={})
            form.add_error(
                "file",
                f"The file is larger than {services.MAX_FILE_BYTES // 1024 // 1024} MB. Export"
                " fewer rows (one project, or a date range).",
            )
            status = 413
        else:
            form = UploadForm(request.POST, request.FILES)
            if form.is_valid():
                try:
                    run = services.import_start(
                        organization=request.organization,
                        membership=request.membership,
                        upload=form.cleaned_data["file"],
                        format=form.cleaned_data["format"],
                    )
                except ValidationError as error:
                    form.add_error("file", error)
                else:
                    return redirect(_detail_url(request, run))
            status = 400
    ctx = {
        "form": form,
        "imports": selectors.recent_imports(organization=request.organization),
        "max_mb": services.MAX_FILE_BYTES // 1024 // 1024,
        "max_rows": services.MAX_ROWS,
    }
    return render(request, "imports/start.html", ctx, status=status)


def _detail_context(request: OrgRequest, run: ImportRun, form: MappingForm | None = None) -> Any:
    ctx: dict[str, Any] = {"run": run, "progress": None}
    if run.is_pending:
        ctx["progress"] = progress.read(request.organization.pk, run.pk)
    elif run.state == ImportState.READY:
        ctx["form"] = form or _mapping_form(request, run)
    return ctx


def _mapping_form(request: OrgRequest, run: ImportRun, data: Any = None) -> MappingForm:
    return MappingForm(
        data,
        plan=run.plan,
        mapping=Mapping.from_json(run.mapping),
        goals=selectors.mapping_goals(organization=request.organization, viewer=request.membership),
        members=selectors.mapping_members(organization=request.organization),
    )


@org_view(min_role=IMPORTER)
@require_safe
def import_detail(request: OrgRequest, import_number: int) -> HttpResponse:
    """An import as far as it has got: its progress, its dry run with the mapping, or what it
    did."""
    run = selectors.import_by_number(organization=request.organization, number=import_number)
    return render(request, "imports/detail.html", _detail_context(request, run))


@org_view(min_role=IMPORTER)
@require_safe
def import_progress(request: OrgRequest, import_number: int) -> HttpResponse:
    """The progress bar, polled by htmx; once the job is done, the whole page reloads."""
    run = selectors.import_by_number(organization=request.organization, number=import_number)
    if not run.is_pending:
        if request.htmx:
            return HttpResponseClientRefresh()
        return redirect(_detail_url(request, run))
    ctx = {"run": run, "progress": progress.read(request.organization.pk, run.pk)}
    return render(request, "imports/detail.html#progress", ctx)


@org_view(min_role=IMPORTER)
@require_POST
def import_map(request: OrgRequest, import_number: int) -> HttpResponse:
    """Apply the dry run when its mapping is what the form says; a changed mapping reads the
    file again with it first (the dry run always shows what the apply will do)."""
    run = selectors.import_by_number(organization=request.organization, number=import_number)
    if run.state != ImportState.READY:
        messages.error(request, "This import can no longer be changed.")
        return redirect(_detail_url(request, run))
    form = _mapping_form(request, run, request.POST)
    if not form.is_valid():
        return render(
            request, "imports/detail.html", _detail_context(request, run, form), status=400
        )
    mapping = form.mapping()
    try:
        if (
            mapping.as_json() != Mapping.from_json(run.mapping).as_json()
            or "preview" in request.POST
        ):
            services.import_remap(
                organization=request.organization,
                membership=request.membership,
                run=run,
                mapping=mapping,
            )
            messages.info(
                request,
                "Reading the file again with your mapping: check the dry run, then apply.",
            )
        else:
            services.import_apply(
                organization=request.organization, membership=request.membership, run=run
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return HttpResponseRedirect(_detail_url(request, run))


@org_view(min_role=IMPORTER)
@require_POST
def import_discard(request: OrgRequest, import_number: int) -> HttpResponse:
    run = selectors.import_by_number(organization=request.organization, number=import_number)
    try:
        services.import_discard(
            organization=request.organization, membership=request.membership, run=run
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_detail_url(request, run))
    messages.success(request, f"Import {run.key} discarded.")
    return redirect("import_start", request.organization.slug)
