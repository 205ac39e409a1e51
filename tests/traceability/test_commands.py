from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

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
