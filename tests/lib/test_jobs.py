from django.db import transaction

from vindaris.lib.jobs import enqueue, enqueue_reconcile


def test_a_job_asked_for_twice_in_one_transaction_is_sent_once(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        enqueue_reconcile(1)
        enqueue_reconcile(1)
        enqueue_reconcile(2)
        enqueue("other.task", 1)
    assert len(callbacks) == 3


def test_a_rolled_back_savepoint_does_not_swallow_a_later_request(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                enqueue_reconcile(7)
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        enqueue_reconcile(7)
    assert len(callbacks) == 1
