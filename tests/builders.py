"""Test data built through the real services, as users would create it."""

from decimal import Decimal

from discussions import services as discussion_services
from discussions.models import Comment
from discussions.selectors import Target
from goals import services as goal_services
from goals.models import Goal, GoalStatus, Outcome, Priority
from imports.models import ImportRun
from updates.models import GoalUpdate
from vindaris.tenancy.models import Organization, User
from work import services as work_services
from work.models import Origin, Task


def make_goal(
    org: Organization,
    actor: User,
    title: str = "Grow revenue",
    *,
    parent: Goal | None = None,
    status: str = GoalStatus.ACTIVE,
    priority: int = Priority.P2,
    **kwargs: object,
) -> Goal:
    return goal_services.goal_create(
        organization=org,
        actor=actor,
        title=title,
        parent=parent,
        status=status,
        priority=priority,
        **kwargs,  # type: ignore[arg-type]
    )


def make_outcome(
    org: Organization,
    actor: User,
    goal: Goal,
    title: str = "Monthly revenue",
    baseline: str = "100",
    target: str = "200",
    **kwargs: object,
) -> Outcome:
    return goal_services.outcome_create(
        organization=org,
        actor=actor,
        goal=goal,
        title=title,
        baseline=Decimal(baseline),
        target=Decimal(target),
        **kwargs,  # type: ignore[arg-type]
    )


def make_task(
    org: Organization,
    actor: User,
    goal: Goal | None,
    title: str = "Do the thing",
    *,
    estimate: int = 1,
    origin: str = Origin.GOAL_PAGE,
    **kwargs: object,
) -> Task:
    return work_services.task_create(
        organization=org,
        actor=actor,
        goal=goal,
        title=title,
        estimate=estimate,
        origin=origin,
        **kwargs,  # type: ignore[arg-type]
    )


def make_import(org: Organization, actor: User, text: str = "") -> ImportRun:
    """An import read in its dry run (ready to apply), of a small Jira export by default."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from imports import services as import_services
    from vindaris.tenancy.models import Membership

    text = text or "Issue key,Summary,Status\nPM-1,Pay with cards,To Do\n"
    run = import_services.import_start(
        organization=org,
        membership=Membership.objects.get(organization=org, user=actor),
        upload=SimpleUploadedFile("export.csv", text.encode()),
    )
    import_services.run_pending(org.pk)
    run.refresh_from_db()
    return run


def make_update(
    org: Organization,
    author: User,
    goal: Goal,
    health: str = "on_track",
    body: str = "Shipped the beta.",
    **kwargs: object,
):  # -> updates.models.GoalUpdate
    """A goal update posted by `author` (its owner or an editor) through the service."""
    from updates import services as update_services
    from vindaris.tenancy.models import Membership

    return update_services.update_post(
        organization=org,
        actor=author,
        member=Membership.objects.get(organization=org, user=author),
        goal=goal,
        health=health,
        body=body,
        **kwargs,  # type: ignore[arg-type]
    )


def make_comment(
    org: Organization,
    author: User,
    *,
    goal: Goal | None = None,
    task: Task | None = None,
    update: GoalUpdate | None = None,
    body: str = "How is this going?",
    reply_to: Comment | None = None,
) -> Comment:
    """A comment (or a reply) on a goal, an update or a task, posted by `author` through the
    service."""
    from vindaris.tenancy.models import Membership

    return discussion_services.comment_create(
        organization=org,
        author=Membership.objects.select_related("user").get(organization=org, user=author),
        target=Target(goal=goal, task=task, update=update),
        body=body,
        reply_to=reply_to,
    )


def make_webhook_endpoint(
    org: Organization,
    admin: User,
    url: str = "https://hooks.example.com/vindaris",
    chosen_events: list[str] | None = None,
):  # -> tuple[webhooks.models.Endpoint, str]
    """A webhook endpoint registered by the admin `admin` (every event by default), and its
    secret."""
    from vindaris.lib import events
    from vindaris.tenancy.models import Membership
    from webhooks import services as webhook_services

    return webhook_services.endpoint_create(
        organization=org,
        actor=Membership.objects.get(organization=org, user=admin),
        url=url,
        chosen_events=list(events.TYPES) if chosen_events is None else chosen_events,
    )


def make_webhook_delivery(org: Organization, actor: User, endpoint):  # -> webhooks Delivery
    """A delivery to `endpoint` (subscribed to task.created): a task created under a new goal,
    its event made into deliveries by the dispatcher's service (nothing is sent)."""
    from webhooks import services as webhook_services
    from webhooks.models import Delivery

    task = make_task(org, actor, make_goal(org, actor, "Answer the webhooks"), "Ping the hook")
    webhook_services.fan_out(organization=org)
    return (
        Delivery.objects.select_related("event")
        .filter(organization=org, endpoint=endpoint, event__object_id=task.pk)
        .get()
    )
