"""Mentions offer and store only members of the organization who may see what the comment is
about; mentioning notifies them, and a crafted mention of anyone else does nothing visible."""

import re

import pytest
from django.urls import reverse

from discussions.models import Mention
from notifications.models import Notification
from tests.builders import make_comment


def suggested(client, org, **target) -> list[str]:
    """The picker's suggestions (the values of its <option>s) for a comment on `target`."""
    query = "&".join(f"{k}={v}" for k, v in target.items())
    response = client.get(f"{reverse('comment_mentions', args=[org.slug])}?{query}")
    assert response.status_code == 200
    return re.findall(r'<option value="([^"]*)"', response.content.decode())


def mentioned(comment) -> set[str]:
    return {
        m.member.user.email
        for m in Mention.objects.filter(
            organization=comment.organization_id, comment=comment
        ).select_related("member__user")
    }


def notified(org, kind: str = "mention") -> set[str]:
    return set(
        Notification.objects.filter(organization=org, kind=kind).values_list(
            "recipient__user__email", flat=True
        )
    )


EVERYONE = {
    "@admin@acme.test",
    "@lead@acme.test",
    "@planner@acme.test",
    "@viewer@acme.test",
    "@gina@acme.test",
    "@otto@acme.test",
}
# Who sees the confidential goal: admins, leads, its owner and the member it is shared with.
SEERS = {"@admin@acme.test", "@lead@acme.test", "@gina@acme.test", "@otto@acme.test"}


def test_the_picker_offers_the_members_of_the_organization_only(org, cast, client_for):
    client = client_for(cast.planner.user)
    assert set(suggested(client, org, goal=cast.goal.number)) == EVERYONE
    # the other organization's admin is no suggestion, even typed in full
    assert suggested(client, org, goal=cast.goal.number, mention="admin@globex.test") == []
    assert suggested(client, org, goal=cast.goal.number, mention="Pat") == ["@planner@acme.test"]
    assert set(suggested(client, org, task=cast.task.number)) == EVERYONE


@pytest.mark.parametrize("where", ["secret", "secret_child", "secret_task"])
def test_on_a_confidential_goal_only_members_who_see_it_are_offered(org, cast, client_for, where):
    target = getattr(cast, where)
    kind = "task" if where == "secret_task" else "goal"
    for member in (cast.lead, cast.granted, cast.owner):
        client = client_for(member.user)
        assert set(suggested(client, org, **{kind: target.number})) == SEERS
        assert suggested(client, org, **{kind: target.number}, mention="viewer") == []


def test_the_picker_of_a_goal_the_member_cannot_see_is_404(org, cast, client_for):
    url = reverse("comment_mentions", args=[org.slug])
    response = client_for(cast.planner.user).get(f"{url}?goal={cast.secret.number}")
    assert response.status_code == 404
    response = client_for(cast.outsider.user).get(f"{url}?goal={cast.goal.number}")
    assert response.status_code == 404


def test_a_mention_stores_and_notifies_members_of_the_organization_only(org, cast):
    comment = make_comment(
        org,
        cast.lead.user,
        goal=cast.goal,
        body="@planner@acme.test and @admin@globex.test, and @nobody@acme.test: look",
    )
    assert mentioned(comment) == {"planner@acme.test"}
    assert notified(org) == {"planner@acme.test"}
    note = Notification.objects.get(organization=org, kind="mention")
    assert note.path == f"/o/acme/comments/{comment.number}/"
    assert note.text.startswith(f"Lee Lead mentioned you on {cast.goal.key} Grow revenue: ")
    assert Notification.objects.filter(organization=cast.outsider.organization).count() == 0


def test_a_crafted_mention_of_a_member_who_cannot_see_the_goal_does_nothing(org, cast, client_for):
    url = reverse("goal_comments", args=[org.slug, cast.secret.number])
    response = client_for(cast.granted.user).post(
        url, {"body": "@planner@acme.test @ghost@acme.test @otto@acme.test see this"}
    )
    assert response.status_code == 302
    # only the owner, who sees the goal, is mentioned and told
    assert notified(org) == {"otto@acme.test"}
    page = client_for(cast.granted.user).get(response["Location"]).content.decode()
    # the member who cannot see it reads the same as an address nobody has
    assert "@planner@acme.test @ghost@acme.test @otto@acme.test see this" in page
    assert "Pat Planner" not in page
    # and the planner learns nothing: no notification, and the comment's link is a 404
    assert Notification.objects.filter(organization=org, recipient=cast.planner).count() == 0
    comment_url = Notification.objects.get(organization=org, recipient=cast.owner).path
    assert client_for(cast.planner.user).get(comment_url).status_code == 404


def test_a_mention_on_a_task_follows_the_task_goals_confidentiality(org, cast):
    comment = make_comment(
        org,
        cast.owner.user,
        task=cast.secret_task,
        body="@viewer@acme.test @gina@acme.test @lead@acme.test",
    )
    assert mentioned(comment) == {"gina@acme.test", "lead@acme.test"}
    assert notified(org) == {"gina@acme.test", "lead@acme.test"}


def test_mentioning_oneself_stores_the_mention_and_notifies_nobody(org, cast):
    comment = make_comment(org, cast.lead.user, goal=cast.goal, body="note to @lead@acme.test")
    assert mentioned(comment) == {"lead@acme.test"}
    assert notified(org) == set()


def test_an_edit_notifies_only_the_newly_mentioned(org, cast, client_for):
    comment = make_comment(org, cast.lead.user, goal=cast.goal, body="@planner@acme.test hi")
    url = reverse("comment_edit", args=[org.slug, comment.number])
    response = client_for(cast.lead.user).post(
        url, {"body": "@planner@acme.test and @viewer@acme.test hi"}
    )
    assert response.status_code == 302
    assert sorted(
        Notification.objects.filter(organization=org, kind="mention").values_list(
            "recipient__user__email", flat=True
        )
    ) == ["planner@acme.test", "viewer@acme.test"]
    client_for(cast.lead.user).post(url, {"body": "only @viewer@acme.test now"})
    assert mentioned(comment) == {"viewer@acme.test"}
    assert Notification.objects.filter(organization=org, kind="mention").count() == 2


def test_a_mention_written_inside_a_word_or_an_address_is_none(org, cast):
    comment = make_comment(
        org, cast.lead.user, goal=cast.goal, body="mail planner@acme.test or x@planner@acme.test"
    )
    assert mentioned(comment) == set()
