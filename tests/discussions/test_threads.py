"""Threads one level deep, replies notifying the thread's author, the edit window, deletion
by the author or an admin with a tombstone, and viewers commenting."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from discussions import services
from discussions.models import Comment, Mention
from notifications.models import Notification
from tests.builders import make_comment


def test_a_reply_to_a_reply_joins_the_top_comments_thread(org, cast):
    top = make_comment(org, cast.planner.user, goal=cast.goal, body="Top")
    reply = make_comment(org, cast.lead.user, goal=cast.goal, body="Re", reply_to=top)
    again = make_comment(org, cast.viewer.user, goal=cast.goal, body="Re re", reply_to=reply)
    assert reply.parent_id == top.pk
    assert again.parent_id == top.pk


def test_replies_notify_the_threads_author_only(org, cast):
    top = make_comment(org, cast.planner.user, goal=cast.goal, body="Top")
    reply = make_comment(org, cast.lead.user, goal=cast.goal, body="Re", reply_to=top)
    make_comment(org, cast.viewer.user, goal=cast.goal, body="Re re", reply_to=reply)
    # the thread's author, twice (the lead is no thread author: replying to a reply tells the
    # top comment's author)
    replies = Notification.objects.filter(organization=org, kind="reply")
    assert sorted(replies.values_list("recipient__user__email", flat=True)) == [
        "planner@acme.test",
        "planner@acme.test",
    ]
    assert {n.text.split(" replied")[0] for n in replies} == {"Lee Lead", "Vic Viewer"}
    # the author answering in their own thread tells nobody
    make_comment(org, cast.planner.user, goal=cast.goal, body="Thanks", reply_to=top)
    assert replies.count() == 2


def test_a_reply_that_also_mentions_the_threads_author_notifies_once(org, cast):
    top = make_comment(org, cast.planner.user, goal=cast.goal, body="Top")
    make_comment(org, cast.lead.user, goal=cast.goal, body="@planner@acme.test yes", reply_to=top)
    kinds = Notification.objects.filter(organization=org, recipient=cast.planner)
    assert list(kinds.values_list("kind", flat=True)) == ["mention"]


def test_a_reply_notifies_no_thread_author_who_can_no_longer_see_the_goal(org, cast, lead):
    from goals import services as goal_services

    top = make_comment(org, cast.planner.user, goal=cast.goal, body="Top")
    goal_services.goal_update(organization=org, actor=lead, goal=cast.goal, confidential=True)
    make_comment(org, cast.lead.user, goal=cast.goal, body="Re", reply_to=top)
    assert Notification.objects.filter(organization=org, kind="reply").count() == 0


def test_a_reply_goes_to_a_comment_of_the_same_discussion_only(org, cast, client_for):
    elsewhere = make_comment(org, cast.planner.user, task=cast.task, body="On the task")
    url = reverse("goal_comments", args=[org.slug, cast.goal.number])
    response = client_for(cast.planner.user).post(url, {"body": "Re", "reply_to": elsewhere.number})
    assert response.status_code == 422
    assert "That comment is not in this discussion." in response.content.decode()
    assert Comment.objects.filter(organization=org).count() == 1


EDIT_WINDOW = timedelta(minutes=15)


@pytest.mark.parametrize(
    ("after", "allowed"),
    [
        (timedelta(minutes=14, seconds=59), True),
        (EDIT_WINDOW, False),
        (timedelta(hours=2), False),
    ],
)
def test_its_author_edits_a_comment_for_fifteen_minutes(org, cast, after, allowed):
    comment = make_comment(org, cast.planner.user, goal=cast.goal, body="Frist")
    now = comment.created_at + after
    assert services.can_edit(comment, cast.planner, now) is allowed
    if allowed:
        services.comment_edit(
            organization=org, actor=cast.planner, comment=comment, body="First", now=now
        )
        comment.refresh_from_db()
        assert (comment.body, comment.edited_at) == ("First", now)
    else:
        with pytest.raises(PermissionDenied):
            services.comment_edit(
                organization=org, actor=cast.planner, comment=comment, body="First", now=now
            )
        comment.refresh_from_db()
        assert comment.body == "Frist"


def test_the_edit_page_closes_with_the_window(org, cast, client_for):
    comment = make_comment(org, cast.planner.user, goal=cast.goal, body="Frist")
    url = reverse("comment_edit", args=[org.slug, comment.number])
    client = client_for(cast.planner.user)
    assert client.get(url).status_code == 200
    Comment.objects.filter(organization=org, pk=comment.pk).update(
        created_at=timezone.now() - EDIT_WINDOW
    )
    assert client.get(url).status_code == 403
    assert client.post(url, {"body": "First"}).status_code == 403
    comment.refresh_from_db()
    assert comment.body == "Frist"


@pytest.mark.parametrize("who", ["lead", "admin", "viewer"])
def test_nobody_but_the_author_edits_a_comment(org, cast, client_for, who):
    comment = make_comment(org, cast.planner.user, goal=cast.goal, body="Frist")
    url = reverse("comment_edit", args=[org.slug, comment.number])
    client = client_for(getattr(cast, who).user)
    assert client.post(url, {"body": "Hijacked"}).status_code == 403
    comment.refresh_from_db()
    assert comment.body == "Frist"


@pytest.mark.parametrize("who", ["planner", "admin"])
def test_its_author_or_an_admin_deletes_a_comment_and_a_tombstone_stays(org, cast, client_for, who):
    top = make_comment(org, cast.planner.user, goal=cast.goal, body="@viewer@acme.test secret")
    make_comment(org, cast.lead.user, goal=cast.goal, body="A reply", reply_to=top)
    actor = getattr(cast, who)
    client = client_for(actor.user)
    url = reverse("comment_delete", args=[org.slug, top.number])
    assert client.get(url).status_code == 200  # the confirmation
    response = client.post(url)
    assert response.status_code == 302
    top.refresh_from_db()
    assert top.body == ""
    assert top.deleted_by_id == actor.user_id
    assert top.deleted_at is not None
    assert Mention.objects.filter(organization=org, comment=top).count() == 0
    page = client.get(response["Location"], follow=True).content.decode()
    name = {"planner": "Pat Planner", "admin": "Ada Admin"}[who]
    assert f"Comment deleted by {name}" in page
    assert "secret" not in page
    assert "A reply" in page  # the thread under it stays
    # once deleted, it cannot be deleted or edited again
    assert client.post(url).status_code == 403


@pytest.mark.parametrize("who", ["lead", "viewer", "granted"])
def test_nobody_else_deletes_a_comment(org, cast, client_for, who):
    comment = make_comment(org, cast.planner.user, goal=cast.goal, body="Mine")
    url = reverse("comment_delete", args=[org.slug, comment.number])
    client = client_for(getattr(cast, who).user)
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    comment.refresh_from_db()
    assert (comment.body, comment.deleted_at) == ("Mine", None)


def test_viewers_read_and_comment(org, cast, client_for, htmx_headers):
    client = client_for(cast.viewer.user)
    url = reverse("goal_comments", args=[org.slug, cast.goal.number])
    response = client.post(url, {"body": "A question from a viewer"}, **htmx_headers)
    assert response.status_code == 200
    comment = Comment.objects.get(organization=org)
    assert (comment.author_id, comment.goal_id, comment.task_id) == (
        cast.viewer.pk,
        cast.goal.pk,
        None,
    )
    assert f'id="comment-{comment.number}"' in response.content.decode()
    task_url = reverse("task_comments", args=[org.slug, cast.task.number])
    response = client.post(task_url, {"body": "And on the task"})
    assert response.status_code == 302
    assert Comment.objects.filter(organization=org, task=cast.task).count() == 1


def test_an_empty_comment_is_refused_with_a_message(org, cast, client_for, htmx_headers):
    url = reverse("goal_comments", args=[org.slug, cast.goal.number])
    response = client_for(cast.viewer.user).post(url, {"body": "   "}, **htmx_headers)
    assert response.status_code == 422
    assert "Write something first." in response.content.decode()
    assert Comment.objects.filter(organization=org).count() == 0


def test_a_comments_link_lands_on_its_page_of_the_discussion(org, cast, client_for):
    first = make_comment(org, cast.planner.user, goal=cast.goal, body="The first")
    reply = make_comment(org, cast.lead.user, goal=cast.goal, body="Its reply", reply_to=first)
    for i in range(20):  # newer threads push the first one to page 2 (20 threads a page)
        make_comment(org, cast.planner.user, goal=cast.goal, body=f"Later {i}")
    client = client_for(cast.viewer.user)
    url = reverse("comment_detail", args=[org.slug, reply.number])
    response = client.get(url)
    list_url = reverse("goal_comments", args=[org.slug, cast.goal.number])
    assert response["Location"] == f"{list_url}?page=2#comment-{reply.number}"
    page = client.get(f"{list_url}?page=2").content.decode()
    assert f'id="comment-{reply.number}"' in page and "Its reply" in page


def test_another_organizations_comment_is_404(org, other_org, cast, client_for, outsider):
    from tests.builders import make_goal

    theirs = make_comment(other_org, outsider, goal=make_goal(other_org, outsider), body="Ours")
    client = client_for(cast.admin.user)
    for name in ("comment_detail", "comment_edit", "comment_delete"):
        url = reverse(name, args=[org.slug, theirs.number])
        assert client.get(url).status_code == 404, name
