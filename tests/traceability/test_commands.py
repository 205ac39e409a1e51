from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection

from tests.builders import make_goal, make_task
from traceability.models import DigestSent, Flag, Snapshot


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_reconcile_raises_the_flags_then_has_nothing_to_do(org, other_org, gaps):
    assert run("reconcile", "--org", "acme") == "acme: 7 raised, 0 resolved\n"
    assert run("reconcile") == "acme: 0 raised, 0 resolved\nglobex: 0 raised, 0 resolved\n"
    assert Flag.objects.filter(organization=org).count() == 7


def test_snapshot_records_today(org, gaps):
    out = run("snapshot", "--org", "acme")

    assert "linked ratio 33%, 1 orphaned, 2 stranded, 3 suspect, 1 starved" in out
    assert Snapshot.objects.filter(organization=org).count() == 1


def test_an_unknown_organization_is_an_error(org):
    with pytest.raises(CommandError, match="No organization"):
        run("reconcile", "--org", "nope")


def test_send_digest_dry_run_prints_both_parts_and_sends_nothing(org, lead, gaps):
    out = run("send_digest", "--org", "acme", "--to", "LEAD@acme.test", "--dry-run")

    assert "Subject: Acme weekly digest: 1 orphaned, 2 stranded, 3 suspect, 1 starved" in out
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in out
    assert f"- {gaps.orphaned.key} {gaps.orphaned.title} [new] (no goal)" in out
    assert "----- HTML -----" in out and '<a href="http://testserver/o/acme/tasks/' in out
    assert mail.outbox == []


def test_send_digest_sends_one_digest_outside_the_weekly_log(org, planner, gaps):
    out = run("send_digest", "--org", "acme", "--to", planner.email)

    assert out.startswith(f"Sent to {planner.email}: Acme weekly digest")
    assert [m.to for m in mail.outbox] == [[planner.email]]
    assert not DigestSent.objects.exists()


def test_send_digest_refuses_a_non_member_and_an_opted_out_member(
    org, lead, outsider, gaps, membership_of
):
    with pytest.raises(CommandError, match="not a member"):
        run("send_digest", "--org", "acme", "--to", outsider.email)
    membership = membership_of(lead, org)
    membership.digest_opt_out = True
    membership.save(update_fields=["digest_opt_out"])
    with pytest.raises(CommandError, match="opted out"):
        run("send_digest", "--org", "acme", "--to", lead.email)
    assert mail.outbox == []


def test_send_digest_says_when_there_is_nothing_to_report(org, lead):
    out = run("send_digest", "--org", "acme", "--to", lead.email)

    assert out == "Nothing to report to lead@acme.test: no email.\n"
    assert mail.outbox == []


def corrupt(org, goal_id: int | None, **figures: int) -> None:
    """Write wrong figures straight into a coverage row, as a lost trigger would leave it."""
    sets = ", ".join(f"{column} = %s" for column in figures)
    goal = "goal_id IS NULL" if goal_id is None else "goal_id = %s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE traceability_goalcoverage SET {sets} WHERE organization_id = %s AND {goal}",
            [*figures.values(), org.pk, *([] if goal_id is None else [goal_id])],
        )


def run_check(*args: str) -> tuple[str, int]:
    """check_coverage's output and exit status."""
    out = StringIO()
    try:
        call_command("check_coverage", *args, stdout=out)
    except SystemExit as exit:
        return out.getvalue(), int(exit.code or 0)
    return out.getvalue(), 0


def test_check_coverage_finds_nothing_on_rows_the_triggers_kept(org, gaps):
    assert run_check("acme") == ("acme: coverage exact\n", 0)


def test_check_coverage_prints_each_drifting_figure_and_exits_1(org, gaps):
    corrupt(org, gaps.active.pk, live_effort=999)
    corrupt(org, None, live_tasks=5, tasks=5)

    out, status = run_check("acme")

    assert status == 1
    assert out == (
        "acme no goal: tasks 5 → 1\n"
        "acme no goal: live_tasks 5 → 1\n"
        f"acme {gaps.active.key}: live_effort 999 → 1\n"
        "acme: 3 figures differ on 2 rows\n"
    )
    assert run_check("acme")[1] == 1  # nothing was changed


def test_check_coverage_repair_fixes_the_rows_and_exits_0(org, other_org, outsider, gaps):
    theirs = make_goal(other_org, outsider, "Their goal")
    make_task(other_org, outsider, theirs, estimate=4)
    corrupt(org, gaps.on_hold.pk, stranded=0, kept=0)
    corrupt(other_org, theirs.pk, live_effort=1)

    out, status = run_check("acme", "--repair")

    assert status == 0
    assert out.splitlines() == [
        f"acme {gaps.on_hold.key}: stranded 0 → 2",
        f"acme {gaps.on_hold.key}: kept 0 → 1",
        "acme: 2 figures differ on 1 row",
        "acme: repaired 1 row",
    ]
    assert run_check("acme") == ("acme: coverage exact\n", 0)
    # The other organization's rows were not touched.
    assert run_check("globex") == (
        f"globex {theirs.key}: live_effort 1 → 4\nglobex: 1 figure differs on 1 row\n",
        1,
    )


def test_check_coverage_all_goes_through_every_organization(org, other_org, outsider, gaps):
    theirs = make_goal(other_org, outsider, "Their goal")
    make_task(other_org, outsider, theirs, estimate=4)
    corrupt(other_org, theirs.pk, live_effort=1)

    assert run_check("--all") == (
        "acme: coverage exact\n"
        f"globex {theirs.key}: live_effort 1 → 4\n"
        "globex: 1 figure differs on 1 row\n"
        "2 organizations checked, 1 with drift\n",
        1,
    )
    out, status = run_check("--all", "--repair")
    assert status == 0
    assert out.endswith(
        "globex: repaired 1 row\n2 organizations checked, 1 with drift (repaired)\n"
    )
    assert run_check("--all")[1] == 0


def test_check_coverage_refuses_an_unknown_organization_and_wants_one_or_all(org):
    with pytest.raises(CommandError, match="No organization with slug 'nope'"):
        run_check("nope")
    with pytest.raises(CommandError, match="slug, or --all"):
        run_check()
    with pytest.raises(CommandError, match="slug, or --all"):
        run_check("acme", "--all")
