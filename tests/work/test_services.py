"""Task services: work is created from goals, its link history is kept, and suspect, stranded,
kept and orphaned work is resolved through them."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from goals import services as goal_services
from goals.models import CheckIn, Goal, GoalEvent, GoalStatus, Outcome, Priority
from tests.builders import make_goal, make_outcome, make_task
from work import gaps, selectors, services
from work.models import CheckInCredit, Origin, Task, TaskEvent, TaskStatus


@pytest.fixture(autouse=True)
def immediate_constraints(db):
    """Check the deferrable composite keys at each statement, so a service that breaks one fails
    here instead of passing inside the test's never-committed transaction."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def stored_rows() -> dict[str, list[tuple]]:
    """Everything the services can write, to compare before and after a rejected call."""
    return {
        model.__name__: list(model.objects.order_by("pk").values_list())
        for model in (Goal, Outcome, CheckIn, GoalEvent, Task, TaskEvent, CheckInCredit)
    }


def gap(name: str, org) -> set[int]:
    """Numbers of the organization's tasks in a gap of work.selectors (or "kept")."""
    condition = gaps.TASK_GAP_Q[name]
    return set(Task.objects.filter(condition, organization=org).values_list("number", flat=True))


def fresh(task: Task) -> Task:
    return selectors.task_get(organization=task.organization, number=task.number, viewer=None)


def events(task: Task) -> list[TaskEvent]:
    return list(TaskEvent.objects.filter(task=task).order_by("pk"))


@pytest.fixture
def goal(org, lead) -> Goal:
    return make_goal(org, lead, "Grow revenue", priority=Priority.P2)


@pytest.fixture
def their_goal(other_org, outsider) -> Goal:
    return make_goal(other_org, outsider, "Their goal")


# Numbers


def test_task_numbers_count_per_organization(org, planner, goal, other_org, outsider, their_goal):
    ours = [make_task(org, planner, goal).key for _ in range(3)]
    theirs = make_task(other_org, outsider, their_goal).key
    assert ours == ["T-1", "T-2", "T-3"]
    assert theirs == "T-1"


def test_a_task_number_is_never_given_again(org, planner, goal):
    make_task(org, planner, goal)
    last = make_task(org, planner, goal)
    Task.objects.filter(pk=last.pk).delete()
    assert make_task(org, planner, goal).key == "T-3"


# Creating work


def test_a_task_created_from_a_goal_page_remembers_where_and_by_whom(
    org, planner, goal, membership_of
):
    outcome = make_outcome(org, planner, goal)
    task = make_task(
        org,
        planner,
        goal,
        "  Call ten customers ",
        outcome=outcome,
        assignee=membership_of(planner, org),
        estimate=3,
    )
    task = fresh(task)
    assert (task.title, task.goal, task.outcome, task.estimate) == (
        "Call ten customers",
        goal,
        outcome,
        3,
    )
    assert (task.origin, task.status, task.created_by) == (Origin.GOAL_PAGE, "todo", planner)
    [created] = events(task)
    assert (created.kind, created.actor, created.to_goal, created.to_status) == (
        TaskEvent.Kind.CREATED,
        planner,
        goal,
        TaskStatus.TODO,
    )


def test_a_task_from_a_goal_page_needs_a_goal_even_where_goalless_work_is_allowed(org, planner):
    org.allow_goalless_work = True
    org.save()
    with pytest.raises(ValidationError) as error:
        make_task(org, planner, None, origin=Origin.GOAL_PAGE)
    assert "goal" in error.value.message_dict
    assert not Task.objects.exists()


@pytest.mark.parametrize("origin", [Origin.QUICK_ADD, Origin.IMPORT, Origin.API])
def test_goalless_work_is_refused_unless_the_organization_allows_it(org, planner, origin):
    with pytest.raises(ValidationError) as error:
        make_task(org, planner, None, origin=origin)
    assert "goal" in error.value.message_dict
    assert not Task.objects.exists()


def test_quick_add_without_a_goal_is_orphaned_where_allowed(org, planner):
    org.allow_goalless_work = True
    org.save()
    task = make_task(org, planner, None, "Captured in a meeting", origin=Origin.QUICK_ADD)
    assert gap("orphaned", org) == {task.number}
    assert fresh(task).is_orphaned
    [created] = events(task)
    assert (created.kind, created.to_goal) == (TaskEvent.Kind.CREATED, None)


def test_a_tasks_outcome_must_belong_to_its_goal(org, lead, planner, goal):
    other_goal = make_goal(org, lead, "Other")
    outcome_elsewhere = make_outcome(org, lead, other_goal)
    with pytest.raises(ValidationError) as error:
        make_task(org, planner, goal, outcome=outcome_elsewhere)
    assert "outcome" in error.value.message_dict
    org.allow_goalless_work = True
    org.save()
    with pytest.raises(ValidationError):
        make_task(org, planner, None, origin=Origin.QUICK_ADD, outcome=outcome_elsewhere)
    assert not Task.objects.exists()


def test_a_task_cannot_point_at_another_organizations_goal_outcome_or_member(
    org, planner, goal, other_org, outsider, their_goal, membership_of
):
    their_outcome = make_outcome(other_org, outsider, their_goal)
    before = stored_rows()
    for kwargs, field in [
        ({"goal": their_goal}, "goal"),
        ({"goal": goal, "outcome": their_outcome}, "outcome"),
        ({"goal": goal, "assignee": membership_of(outsider, other_org)}, "assignee"),
    ]:
        with pytest.raises(ValidationError) as error:
            services.task_create(organization=org, actor=planner, title="Sneaky", **kwargs)
        assert field in error.value.message_dict
    assert stored_rows() == before


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"title": " "}, "title"),
        ({"estimate": -1}, "estimate"),
        ({"status": "waiting"}, "status"),
        ({"origin": "email"}, "origin"),
    ],
)
def test_task_create_rejects_bad_input_as_a_form_error(org, planner, goal, kwargs, field):
    args = {"title": "Do it", **kwargs}
    with pytest.raises(ValidationError) as error:
        services.task_create(organization=org, actor=planner, goal=goal, **args)
    assert field in error.value.message_dict
    assert not Task.objects.exists()


# Editing


def test_task_update_records_old_and_new_values(org, lead, planner, goal, membership_of):
    outcome = make_outcome(org, lead, goal)
    task = make_task(org, planner, goal, "Draft", estimate=1)
    services.task_update(
        organization=org,
        actor=lead,
        task=task,
        title="Draft the pitch",
        estimate=5,
        outcome=outcome,
        assignee=membership_of(planner, org),
        description="",
    )
    edited = events(task)[-1]
    assert (edited.kind, edited.actor) == (TaskEvent.Kind.EDITED, lead)
    assert edited.changes == {
        "Title": ["Draft", "Draft the pitch"],
        "Estimate": ["1", "5"],
        "Outcome": ["—", outcome.key],
        "Assignee": ["—", planner.display_name],
    }
    services.task_update(organization=org, actor=lead, task=task, title="Draft the pitch")
    assert len(events(task)) == 2  # nothing changed, nothing recorded


def test_task_update_keeps_the_outcome_on_the_goal_and_the_organization(
    org, lead, planner, goal, other_org, outsider, their_goal, membership_of
):
    task = make_task(org, planner, goal)
    outcome_elsewhere = make_outcome(org, lead, make_goal(org, lead, "Other"))
    their_outcome = make_outcome(other_org, outsider, their_goal)
    before = stored_rows()
    for fields in (
        {"outcome": outcome_elsewhere},
        {"outcome": their_outcome},
        {"assignee": membership_of(outsider, other_org)},
        {"estimate": -2},
        {"title": ""},
    ):
        with pytest.raises(ValidationError):
            services.task_update(organization=org, actor=planner, task=task, **fields)
    assert stored_rows() == before


# Moving


def test_a_move_needs_a_reason_and_records_from_and_to(org, lead, planner, goal):
    target = make_goal(org, lead, "Cut churn")
    task = make_task(org, planner, goal)
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as error:
            services.task_move(
                organization=org, actor=planner, task=task, to_goal=target, reason=reason
            )
        assert "reason" in error.value.message_dict
    assert fresh(task).goal == goal
    services.task_move(
        organization=org, actor=lead, task=task, to_goal=target, reason=" Churn is the lever "
    )
    assert fresh(task).goal == target
    moved = events(task)[-1]
    assert (moved.kind, moved.actor, moved.from_goal, moved.to_goal, moved.reason) == (
        TaskEvent.Kind.MOVED,
        lead,
        goal,
        target,
        "Churn is the lever",
    )


def test_a_move_confirms_the_link_and_drops_the_old_goals_outcome(org, lead, planner, goal):
    target = make_goal(org, lead, "Cut churn")
    old_outcome = make_outcome(org, lead, goal)
    task = make_task(org, planner, goal, outcome=old_outcome)
    goal_services.goal_update(organization=org, actor=lead, goal=goal, priority=Priority.P4)
    goal_services.goal_update(organization=org, actor=lead, goal=target, priority=Priority.P4)
    assert gap("suspect", org) == {task.number}
    services.task_move(organization=org, actor=planner, task=task, to_goal=target, reason="Fit")
    task = fresh(task)
    assert task.outcome is None
    assert not task.is_suspect
    assert gap("suspect", org) == set()


def test_a_move_can_aim_at_an_outcome_of_the_new_goal_only(org, lead, planner, goal):
    target = make_goal(org, lead, "Cut churn")
    new_outcome = make_outcome(org, lead, target)
    old_outcome = make_outcome(org, lead, goal)
    task = make_task(org, planner, goal, outcome=old_outcome)
    with pytest.raises(ValidationError) as error:
        services.task_move(
            organization=org,
            actor=planner,
            task=task,
            to_goal=target,
            reason="Fit",
            outcome=old_outcome,
        )
    assert "outcome" in error.value.message_dict
    services.task_move(
        organization=org,
        actor=planner,
        task=task,
        to_goal=target,
        reason="Fit",
        outcome=new_outcome,
    )
    assert fresh(task).outcome == new_outcome


def test_a_move_clears_the_reason_it_was_kept(org, lead, planner, goal):
    target = make_goal(org, lead, "Cut churn")
    task = make_task(org, planner, goal)
    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)
    services.task_keep(organization=org, actor=planner, task=task, reason="Customer promised")
    services.task_move(organization=org, actor=planner, task=task, to_goal=target, reason="Re-home")
    task = fresh(task)
    assert task.kept_reason == ""
    assert not task.is_stranded


def test_moving_orphaned_work_links_it(org, lead, planner, goal):
    org.allow_goalless_work = True
    org.save()
    task = make_task(org, planner, None, origin=Origin.QUICK_ADD)
    services.task_move(organization=org, actor=planner, task=task, to_goal=goal, reason="Found it")
    assert gap("orphaned", org) == set()
    moved = events(task)[-1]
    assert (moved.from_goal, moved.to_goal) == (None, goal)


def test_a_move_to_the_same_goal_or_nowhere_is_refused(org, planner, goal):
    task = make_task(org, planner, goal)
    for to_goal in (goal, None):
        with pytest.raises(ValidationError) as error:
            services.task_move(
                organization=org, actor=planner, task=task, to_goal=to_goal, reason="Why not"
            )
        assert "to_goal" in error.value.message_dict
    assert len(events(task)) == 1


def test_a_move_keeps_to_the_organization(
    org, lead, planner, goal, other_org, outsider, their_goal
):
    task = make_task(org, planner, goal)
    their_task = make_task(other_org, outsider, their_goal)
    target = make_goal(org, lead, "Cut churn")
    their_outcome = make_outcome(other_org, outsider, their_goal)
    before = stored_rows()
    for kwargs in (
        {"task": task, "to_goal": their_goal},
        {"task": task, "to_goal": target, "outcome": their_outcome},
        {"task": their_task, "to_goal": target},
    ):
        with pytest.raises(ValidationError):
            services.task_move(organization=org, actor=planner, reason="Because", **kwargs)
    assert stored_rows() == before


@pytest.mark.parametrize(
    "service, kwargs",
    [
        (services.task_update, {"title": "Renamed"}),
        (services.task_set_status, {"status": TaskStatus.DONE}),
        (services.task_confirm_link, {}),
        (services.task_keep, {"reason": "Still needed"}),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_task_services_refuse_another_organizations_task(
    org, planner, other_org, outsider, service, kwargs
):
    parked = make_goal(other_org, outsider, "Parked", status=GoalStatus.ON_HOLD)
    their_task = make_task(other_org, outsider, parked)
    before = stored_rows()
    with pytest.raises(ValidationError) as error:
        service(organization=org, actor=planner, task=their_task, **kwargs)
    assert "task" in error.value.message_dict
    assert stored_rows() == before


# Status


def test_status_changes_are_recorded_from_and_to(org, planner, goal):
    task = make_task(org, planner, goal)
    services.task_set_status(organization=org, actor=planner, task=task, status="in_progress")
    services.task_set_status(
        organization=org, actor=planner, task=task, status="done", reason="Shipped"
    )
    services.task_set_status(organization=org, actor=planner, task=task, status="done")
    history = [(e.kind, e.from_status, e.to_status, e.reason) for e in events(task)[1:]]
    assert history == [
        (TaskEvent.Kind.STATUS, "todo", "in_progress", ""),
        (TaskEvent.Kind.STATUS, "in_progress", "done", "Shipped"),
    ]
    assert fresh(task).status == TaskStatus.DONE


def test_an_unknown_status_or_another_organizations_task_is_refused(
    org, planner, goal, other_org, outsider, their_goal
):
    task = make_task(org, planner, goal)
    their_task = make_task(other_org, outsider, their_goal)
    before = stored_rows()
    with pytest.raises(ValidationError):
        services.task_set_status(organization=org, actor=planner, task=task, status="paused")
    with pytest.raises(ValidationError):
        services.task_set_status(organization=org, actor=planner, task=their_task, status="done")
    assert stored_rows() == before


# Resolving suspect links


def test_confirming_a_link_resolves_the_suspect_task(org, lead, planner, goal):
    task = make_task(org, planner, goal)
    goal_services.goal_update(organization=org, actor=lead, goal=goal, title="Grow revenue in EU")
    assert fresh(task).is_suspect
    services.task_confirm_link(organization=org, actor=planner, task=task, reason="Still fits")
    assert not fresh(task).is_suspect
    confirmed = events(task)[-1]
    assert (confirmed.kind, confirmed.actor, confirmed.to_goal, confirmed.reason) == (
        TaskEvent.Kind.CONFIRMED,
        planner,
        goal,
        "Still fits",
    )


def test_orphaned_or_foreign_work_has_no_link_to_confirm(
    org, planner, other_org, outsider, their_goal
):
    org.allow_goalless_work = True
    org.save()
    orphan = make_task(org, planner, None, origin=Origin.QUICK_ADD)
    their_task = make_task(other_org, outsider, their_goal)
    before = stored_rows()
    for task in (orphan, their_task):
        with pytest.raises(ValidationError):
            services.task_confirm_link(organization=org, actor=planner, task=task)
    assert stored_rows() == before


def test_confirm_all_resolves_only_the_goals_suspect_live_links(org, lead, planner, goal):
    other = make_goal(org, lead, "Other")
    live = [make_task(org, planner, goal, f"Live {n}") for n in range(3)]
    done = make_task(org, planner, goal, "Done", status=TaskStatus.DONE)
    elsewhere = make_task(org, planner, other, "Elsewhere")
    goal_services.goal_update(organization=org, actor=lead, goal=goal, priority=Priority.P3)
    goal_services.goal_update(organization=org, actor=lead, goal=other, priority=Priority.P3)
    services.task_confirm_link(organization=org, actor=planner, task=live[0])
    events_before = {t.pk: len(events(t)) for t in (live[0], done, elsewhere)}

    assert services.goal_confirm_links(organization=org, actor=planner, goal=goal) == 2

    assert gap("suspect", org) == {elsewhere.number}
    for task in live[1:]:
        confirmed = events(task)[-1]
        assert (confirmed.kind, confirmed.actor, confirmed.to_goal) == (
            TaskEvent.Kind.CONFIRMED,
            planner,
            goal,
        )
    assert {t.pk: len(events(t)) for t in (live[0], done, elsewhere)} == events_before
    goal_event = GoalEvent.objects.filter(goal=goal).latest("pk")
    assert (goal_event.kind, goal_event.actor, goal_event.summary) == (
        GoalEvent.Kind.LINKS_CONFIRMED,
        planner,
        "confirmed 2 suspect links",
    )
    # Nothing left to confirm: no rows at all.
    assert services.goal_confirm_links(organization=org, actor=planner, goal=goal) == 0
    assert GoalEvent.objects.filter(goal=goal).latest("pk") == goal_event


def test_confirm_all_on_a_goal_that_never_changed_does_nothing(org, planner, goal):
    make_task(org, planner, goal)
    before = stored_rows()
    assert services.goal_confirm_links(organization=org, actor=planner, goal=goal) == 0
    assert stored_rows() == before


def test_confirm_all_refuses_another_organizations_goal(org, planner, other_org, outsider):
    their_goal = make_goal(other_org, outsider, priority=Priority.P1)
    make_task(other_org, outsider, their_goal)
    goal_services.goal_update(
        organization=other_org, actor=outsider, goal=their_goal, priority=Priority.P4
    )
    before = stored_rows()
    with pytest.raises(ValidationError):
        services.goal_confirm_links(organization=org, actor=planner, goal=their_goal)
    assert stored_rows() == before
    assert gap("suspect", other_org) == {1}


# Keeping stranded work


def test_only_stranded_work_can_be_kept_and_only_with_a_reason(org, lead, planner, goal):
    task = make_task(org, planner, goal)
    with pytest.raises(ValidationError):
        services.task_keep(organization=org, actor=planner, task=task, reason="Busy anyway")
    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)
    with pytest.raises(ValidationError) as error:
        services.task_keep(organization=org, actor=planner, task=task, reason="  ")
    assert "reason" in error.value.message_dict
    done = make_task(org, planner, goal, status=TaskStatus.DONE)
    with pytest.raises(ValidationError):
        services.task_keep(organization=org, actor=planner, task=done, reason="Finished")
    assert gap("kept", org) == set()
    assert not TaskEvent.objects.filter(kind=TaskEvent.Kind.KEPT).exists()


def test_kept_work_is_counted_as_kept_not_stranded_with_its_reason(org, lead, planner, goal):
    task = make_task(org, planner, goal)
    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)
    assert gap("stranded", org) == {task.number}
    services.task_keep(organization=org, actor=planner, task=task, reason="Contract signed")
    # One word, one number: kept work leaves "stranded" (its gap) and is counted as kept,
    # though its goal is still not active.
    assert gap("kept", org) == {task.number} and gap("stranded", org) == set()
    assert fresh(task).is_stranded and fresh(task).is_kept
    assert gap("suspect", org) == set()
    kept = events(task)[-1]
    assert (kept.kind, kept.actor, kept.to_goal, kept.reason) == (
        TaskEvent.Kind.KEPT,
        planner,
        goal,
        "Contract signed",
    )


def test_work_on_a_goal_created_on_hold_can_be_kept(org, lead, planner):
    parked = make_goal(org, lead, "Parked", status=GoalStatus.ON_HOLD)
    task = make_task(org, planner, parked)
    services.task_keep(organization=org, actor=planner, task=task, reason="Pilot customer")
    assert gap("kept", org) == {task.number}


def test_kept_work_stops_being_kept_once_the_goal_changes_again(org, lead, planner, goal):
    task = make_task(org, planner, goal)
    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)
    services.task_keep(organization=org, actor=planner, task=task, reason="Contract signed")
    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ABANDONED)
    assert gap("kept", org) == set()
    assert gap("suspect", org) == gap("stranded", org) == {task.number}
    # Confirming the link now does not revive the reason given for the earlier state.
    services.task_confirm_link(organization=org, actor=planner, task=task)
    assert fresh(task).kept_reason == ""
    assert gap("kept", org) == set()
    assert gap("stranded", org) == {task.number}


def test_confirm_all_also_retires_old_kept_reasons(org, lead, planner, goal):
    task = make_task(org, planner, goal)
    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)
    services.task_keep(organization=org, actor=planner, task=task, reason="Contract signed")
    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ABANDONED)
    services.goal_confirm_links(organization=org, actor=lead, goal=goal)
    assert gap("kept", org) == gap("suspect", org) == set()
    assert fresh(task).kept_reason == ""


def test_reactivating_the_goal_ends_the_stranding_of_kept_work(org, lead, planner, goal):
    task = make_task(org, planner, goal)
    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)
    services.task_keep(organization=org, actor=planner, task=task, reason="Contract signed")
    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ACTIVE)
    assert gap("kept", org) == gap("stranded", org) == set()


# Check-ins


def test_a_check_in_moves_the_outcome_and_credits_tasks_of_its_goal(org, lead, planner, goal):
    outcome = make_outcome(org, lead, goal, baseline="100", target="200")
    first = make_task(org, planner, goal, "Launch referral program")
    second = make_task(org, planner, goal, "Fix checkout", status=TaskStatus.DONE)
    check_in = services.check_in_record(
        organization=org,
        actor=planner,
        outcome=outcome,
        value=Decimal("140"),
        note="Referrals kicked in",
        credited_tasks=[first, second, first],
    )
    outcome = Outcome.objects.get(pk=outcome.pk)
    assert (outcome.current, outcome.progress) == (Decimal("140"), 40)
    assert (check_in.previous_value, check_in.value, check_in.author) == (100, 140, planner)
    credited = set(CheckInCredit.objects.filter(check_in=check_in).values_list("task", flat=True))
    assert credited == {first.pk, second.pk}
    assert [c.check_in for c in selectors.credits_of_task(task=first, viewer=None)] == [check_in]


def test_tasks_of_another_goal_cannot_be_credited(org, lead, planner, goal):
    outcome = make_outcome(org, lead, goal)
    mine = make_task(org, planner, goal)
    elsewhere = make_task(org, planner, make_goal(org, lead, "Other"))
    before = stored_rows()
    with pytest.raises(ValidationError) as error:
        services.check_in_record(
            organization=org,
            actor=planner,
            outcome=outcome,
            value=Decimal("150"),
            credited_tasks=[mine, elsewhere],
        )
    assert "credited_tasks" in error.value.message_dict
    assert stored_rows() == before


def test_a_task_that_moved_away_can_no_longer_be_credited(org, lead, planner, goal):
    """The check uses the stored goal, not the possibly stale object handed in."""
    outcome = make_outcome(org, lead, goal)
    task = make_task(org, planner, goal)
    services.task_move(
        organization=org,
        actor=planner,
        task=Task.objects.get(pk=task.pk),
        to_goal=make_goal(org, lead, "Other"),
        reason="Belongs there",
    )
    with pytest.raises(ValidationError):
        services.check_in_record(
            organization=org,
            actor=planner,
            outcome=outcome,
            value=Decimal("150"),
            credited_tasks=[task],
        )
    assert not CheckIn.objects.exists()


def test_check_ins_keep_to_the_organization(
    org, lead, planner, goal, other_org, outsider, their_goal
):
    ours = make_outcome(org, lead, goal)
    theirs = make_outcome(other_org, outsider, their_goal)
    their_task = make_task(other_org, outsider, their_goal)
    before = stored_rows()
    for outcome, credited in ((theirs, []), (theirs, [their_task]), (ours, [their_task])):
        with pytest.raises(ValidationError):
            services.check_in_record(
                organization=org,
                actor=planner,
                outcome=outcome,
                value=Decimal("150"),
                credited_tasks=credited,
            )
    assert stored_rows() == before


# Deleting a goal


def test_deleting_a_goal_orphans_its_work_and_moves_sub_goals_up(org, lead, planner):
    root = make_goal(org, lead, "Root")
    doomed = make_goal(org, lead, "Doomed", parent=root)
    sub_goal = make_goal(org, lead, "Sub-goal", parent=doomed)
    outcome = make_outcome(org, lead, doomed)
    live = make_task(org, planner, doomed, "Live", outcome=outcome)
    done = make_task(org, planner, doomed, "Done", status=TaskStatus.DONE)
    below = make_task(org, planner, sub_goal, "Under the sub-goal")
    services.check_in_record(
        organization=org, actor=lead, outcome=outcome, value=Decimal(150), credited_tasks=[done]
    )

    assert services.goal_delete(organization=org, actor=lead, goal=doomed) == 1

    assert gap("orphaned", org) == {live.number}
    for task in (live, done):
        task = fresh(task)
        assert (task.goal, task.outcome) == (None, None)
        orphaned = events(task)[-1]
        assert (orphaned.kind, orphaned.actor, orphaned.to_goal, orphaned.reason) == (
            TaskEvent.Kind.MOVED,
            lead,
            None,
            f"goal {doomed.key} deleted",
        )
    assert fresh(below).goal == sub_goal
    assert Goal.objects.get(pk=sub_goal.pk).parent == root
    assert not Outcome.objects.exists()
    assert not CheckIn.objects.exists()
    assert not CheckInCredit.objects.exists()


def test_another_organizations_goal_cannot_be_deleted(org, lead, other_org, outsider, their_goal):
    make_task(other_org, outsider, their_goal)
    before = stored_rows()
    with pytest.raises(ValidationError):
        services.goal_delete(organization=org, actor=lead, goal=their_goal)
    assert stored_rows() == before


# End to end


def test_the_live_graph_end_to_end(org, lead, planner):
    goal = make_goal(org, lead, priority=Priority.P1)
    outcome = make_outcome(org, lead, goal)
    task = make_task(org, planner, goal, outcome=outcome, estimate=3)
    assert selectors.goal_counts(goal=goal).live_effort == 3
    goal_services.goal_update(organization=org, actor=lead, goal=goal, status=GoalStatus.ON_HOLD)
    task = fresh(task)
    assert task.is_stranded and task.is_suspect
    counts = selectors.goal_counts(goal=goal)
    assert (counts.stranded, counts.suspect) == (1, 1)
    services.goal_confirm_links(organization=org, actor=planner, goal=goal)
    task = fresh(task)
    assert not task.is_suspect and task.is_stranded
