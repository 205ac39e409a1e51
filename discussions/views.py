"""Discussion pages: a goal's or a task's comments (loaded into its page after it shows, or a
page of its own without JavaScript), one comment's link, editing, deleting, and the mention
picker's suggestions.

Views are thin: resolve the organization (org_view) and the target the member may see (404
otherwise, exactly as for a number that does not exist) → bind the form → call a service →
answer with the discussion's fragment for htmx or a redirect otherwise.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_safe

from goals import selectors as goal_selectors
from updates import selectors as update_selectors
from vindaris.lib.htmx import is_fragment
from vindaris.tenancy.access import OrgRequest, org_view
from work import selectors as work_selectors
from work.forms import add_service_errors, render_suggestions

from . import selectors, services
from .forms import CommentEditForm, CommentForm
from .models import EDIT_WINDOW, Comment
from .selectors import Target

PICK_MAX_LENGTH = 100


def _goal_target(request: OrgRequest, number: int) -> Target:
    goal = goal_selectors.goal_get(
        organization=request.organization, number=number, viewer=request.membership
    )
    if goal is None:
        raise Http404("No such goal in this organization.")
    return Target(goal=goal)


def _task_target(request: OrgRequest, number: int) -> Target:
    task = work_selectors.task_get(
        organization=request.organization, number=number, viewer=request.membership
    )
    if task is None:
        raise Http404("No such task.")
    return Target(task=task)


def _update_target(request: OrgRequest, number: int) -> Target:
    update = update_selectors.update_get(
        organization=request.organization, number=number, viewer=request.membership
    )
    if update is None:
        raise Http404("No such update.")
    return Target(update=update)


def _comment_or_404(request: OrgRequest, number: int) -> Comment:
    """The organization's comment, or 404: also when its target is hidden from the member."""
    comment = selectors.comment_get(
        organization=request.organization, number=number, viewer=request.membership
    )
    if comment is None:
        raise Http404("No such comment.")
    comment.organization = request.organization
    return comment


def _list_url(request: OrgRequest, target: Target) -> str:
    return reverse(f"{target.kind}_comments", args=[request.organization.slug, target.number])


def _target_url(request: OrgRequest, target: Target) -> str:
    return reverse(f"{target.kind}_detail", args=[request.organization.slug, target.number])


def _page_number(request: OrgRequest) -> int:
    page = request.GET.get("page", "")
    return int(page) if page.isdigit() and len(page) < 7 else 1


def _context(
    request: OrgRequest, target: Target, *, page: int, form: CommentForm | None = None
) -> dict[str, Any]:
    threads = selectors.thread_page(organization=request.organization, target=target, page=page)
    member = request.membership
    for thread in threads.rows:
        for c in (thread.comment, *thread.replies):
            c.can_edit = services.can_edit(c, member)
            c.can_delete = services.can_delete(c, member)
    return {
        "target": target,
        "threads": threads,
        "form": form or CommentForm(auto_id=f"{target.kind}-{target.number}-comment-%s"),
        "list_url": _list_url(request, target),
        "target_url": _target_url(request, target),
        "box_id": f"{target.kind}-{target.number}-comments",
        "mentions_url": reverse("comment_mentions", args=[request.organization.slug])
        + f"?{target.kind}={target.number}",
        "edit_minutes": int(EDIT_WINDOW.total_seconds() // 60),
    }


def _discussion(request: OrgRequest, target: Target) -> HttpResponse:
    """GET: a page of the target's threads; POST: a new comment or a reply."""
    fragment = is_fragment(request)
    if request.method == "POST":
        form = CommentForm(request.POST, auto_id=f"{target.kind}-{target.number}-comment-%s")
        comment = None
        if form.is_valid():
            try:
                comment = _post(request, target, form)
            except ValidationError as e:
                add_service_errors(form, e)
        if comment is None:
            ctx = _context(request, target, page=1, form=form)
            if fragment:
                return render(request, "discussions/comment_list.html#discussion", ctx, status=422)
            return render(request, "discussions/comment_list.html", ctx, status=422)
        page = selectors.thread_page_number(organization=request.organization, comment=comment)
        if not fragment:
            return redirect(f"{_list_url(request, target)}?page={page}#comment-{comment.number}")
        ctx = _context(request, target, page=page)
        return render(request, "discussions/comment_list.html#discussion", ctx)
    ctx = _context(request, target, page=_page_number(request))
    template = "discussions/comment_list.html"
    response = render(request, f"{template}#discussion" if fragment else template, ctx)
    patch_vary_headers(response, ["HX-Request"])  # a fragment or a page, by that header
    return response


def _post(request: OrgRequest, target: Target, form: CommentForm) -> Comment:
    reply_to = None
    number = form.cleaned_data.get("reply_to")
    if number:
        reply_to = selectors.comment_get(
            organization=request.organization, number=number, viewer=request.membership
        )
        if reply_to is None or Target.of(reply_to).filter != target.filter:
            raise ValidationError("That comment is not in this discussion.")
    return services.comment_create(
        organization=request.organization,
        author=request.membership,
        target=target,
        body=form.cleaned_data["body"],
        reply_to=reply_to,
    )


@org_view()
@require_http_methods(["GET", "POST"])
def goal_comments(request: OrgRequest, goal_number: int) -> HttpResponse:
    """A goal's discussion. Viewers read and comment too."""
    return _discussion(request, _goal_target(request, goal_number))


@org_view()
@require_http_methods(["GET", "POST"])
def task_comments(request: OrgRequest, task_number: int) -> HttpResponse:
    """A task's discussion."""
    return _discussion(request, _task_target(request, task_number))


@org_view()
@require_http_methods(["GET", "POST"])
def update_comments(request: OrgRequest, update_number: int) -> HttpResponse:
    """A goal update's discussion: whoever sees the goal reads and comments."""
    return _discussion(request, _update_target(request, update_number))


@org_view()
@require_safe
def comment_detail(request: OrgRequest, comment_number: int) -> HttpResponse:
    """A comment's link (what a notification opens): its page of the discussion, at it."""
    comment = _comment_or_404(request, comment_number)
    page = selectors.thread_page_number(organization=request.organization, comment=comment)
    url = _list_url(request, Target.of(comment))
    return redirect(f"{url}?page={page}#comment-{comment.number}")


def _back(request: OrgRequest, comment: Comment) -> str:
    return reverse("comment_detail", args=[request.organization.slug, comment.number])


@org_view()
@require_http_methods(["GET", "POST"])
def comment_edit(request: OrgRequest, comment_number: int) -> HttpResponse:
    """Its author corrects a comment while the edit window is open; anyone else: 403."""
    comment = _comment_or_404(request, comment_number)
    if not services.can_edit(comment, request.membership):
        raise PermissionDenied("Only its author may edit a comment, and only for a while.")
    form = CommentEditForm(
        request.POST if request.method == "POST" else None, initial={"body": comment.body}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_edit(
                organization=request.organization,
                actor=request.membership,
                comment=comment,
                body=form.cleaned_data["body"],
            )
        except ValidationError as e:
            add_service_errors(form, e)
        else:
            return redirect(_back(request, comment))
    ctx = {
        "comment": comment,
        "target": Target.of(comment),
        "form": form,
        "back_url": _back(request, comment),
        "edit_minutes": int(EDIT_WINDOW.total_seconds() // 60),
    }
    return render(request, "discussions/comment_edit.html", ctx, status=422 if form.errors else 200)


@org_view()
@require_http_methods(["GET", "POST"])
def comment_delete(request: OrgRequest, comment_number: int) -> HttpResponse:
    """Its author or an admin deletes a comment (after a confirmation without JavaScript);
    a tombstone stays in the thread."""
    comment = _comment_or_404(request, comment_number)
    if not services.can_delete(comment, request.membership):
        raise PermissionDenied("Only its author or an admin may delete a comment.")
    if request.method == "POST":
        services.comment_delete(
            organization=request.organization, actor=request.membership, comment=comment
        )
        return redirect(_back(request, comment))
    ctx = {"comment": comment, "target": Target.of(comment), "back_url": _back(request, comment)}
    return render(request, "discussions/comment_delete.html", ctx)


@org_view()
@require_safe
def comment_mentions(request: OrgRequest) -> HttpResponse:
    """The members a comment on `?goal=<n>`, `?update=<n>` or `?task=<n>` may mention: those who
    may see it (404 when the member may not see it itself). The answer is a <datalist>'s
    <option>s."""
    for kind, find in (("goal", _goal_target), ("update", _update_target), ("task", _task_target)):
        number = request.GET.get(kind, "")
        if number.isdigit() and len(number) < 10:
            target = find(request, int(number))
            break
    else:
        raise Http404("Mention whom, where?")
    q = request.GET.get("mention", "")[:PICK_MAX_LENGTH].replace("\x00", "")
    found = selectors.mention_candidates(organization=request.organization, target=target, q=q)
    return HttpResponse(
        render_suggestions([(f"@{m.user.email}", m.user.display_name) for m in found])
    )
