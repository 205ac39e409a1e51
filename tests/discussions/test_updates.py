"""Comments on goal updates: read and written by whoever sees the goal, mentions limited to the
members who see it, and the update's page carries its discussion."""

import re

from django.urls import reverse

from discussions.models import Comment, Mention
from notifications.models import Notification
from tests.builders import make_comment, make_update


def test_viewers_comment_on_an_update(org, cast, client_for):
    update = make_update(org, cast.lead.user, cast.goal, "at_risk", "Behind plan")
    url = reverse("update_comments", args=[org.slug, update.number])
    response = client_for(cast.viewer.user).post(url, {"body": "What slipped?"})
    comment = Comment.objects.get(organization=org)
    assert (comment.update_id, comment.goal_id, comment.task_id) == (update.pk, None, None)
    assert response["Location"] == f"{url}?page=1#comment-{comment.number}"
    page = client_for(cast.planner.user).get(url).content.decode()
    assert "What slipped?" in page
    assert f"Discussion on {update.key}" in page


def test_an_update_on_a_confidential_goal_is_discussed_by_those_who_see_it(org, cast, client_for):
    update = make_update(org, cast.owner.user, cast.secret, "off_track", "Stalled")
    url = reverse("update_comments", args=[org.slug, update.number])
    assert client_for(cast.planner.user).get(url).status_code == 404
    assert client_for(cast.planner.user).post(url, {"body": "Hi"}).status_code == 404
    assert client_for(cast.granted.user).get(url).status_code == 200
    picker = reverse("comment_mentions", args=[org.slug]) + f"?update={update.number}"
    assert client_for(cast.planner.user).get(picker).status_code == 404
    offered = re.findall(
        r'<option value="([^"]*)"', client_for(cast.granted.user).get(picker).content.decode()
    )
    assert set(offered) == {
        "@admin@acme.test",
        "@lead@acme.test",
        "@gina@acme.test",
        "@otto@acme.test",
    }


def test_a_mention_on_an_update_notifies_only_members_who_see_its_goal(org, cast, client_for):
    update = make_update(org, cast.owner.user, cast.secret, "at_risk", "Stalled")
    Notification.objects.filter(organization=org).delete()  # the update's own
    comment = make_comment(
        org, cast.lead.user, update=update, body="@gina@acme.test @planner@acme.test why?"
    )
    assert list(
        Mention.objects.filter(organization=org, comment=comment).values_list(
            "member__user__email", flat=True
        )
    ) == ["gina@acme.test"]
    note = Notification.objects.get(organization=org)
    assert note.recipient_id == cast.granted.pk
    assert note.text.startswith(f"Lee Lead mentioned you on {update.key} (update on G-")
    # its link lands on the comment in the update's discussion
    response = client_for(cast.granted.user).get(note.path)
    list_url = reverse("update_comments", args=[org.slug, update.number])
    assert response["Location"] == f"{list_url}?page=1#comment-{comment.number}"


def test_the_update_page_loads_its_discussion_after_it(org, cast, client_for):
    update = make_update(org, cast.lead.user, cast.goal, "on_track", "Fine")
    make_comment(org, cast.lead.user, update=update, body="Nice work")
    page = client_for(cast.viewer.user).get(
        reverse("update_detail", args=[org.slug, update.number])
    )
    html = page.content.decode()
    comments_url = reverse("update_comments", args=[org.slug, update.number])
    assert f'hx-get="{comments_url}" hx-trigger="load"' in html
    assert f'<a href="{comments_url}">' in html
    assert "Nice work" not in html
