"""Bad input is answered 400 and logged as one warning line, not an error with a traceback."""

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.test import override_settings


@contextmanager
def console() -> Iterator[io.StringIO]:
    """What the configured console handler writes, meanwhile."""
    (handler,) = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    out = io.StringIO()
    previous = handler.setStream(out)
    try:
        yield out
    finally:
        handler.setStream(previous)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, kind",
    [
        ({f"f{i}": "x" for i in range(30)}, "TooManyFieldsSent"),
        ({"title": "x" * 3000}, "RequestDataTooBig"),
    ],
)
@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=20, DATA_UPLOAD_MAX_MEMORY_SIZE=2000)
def test_too_big_or_too_many_fields_is_a_400_and_one_warning_line(client, body, kind):
    with console() as out:
        response = client.post("/accounts/login/", body)

    lines = [line for line in out.getvalue().splitlines() if "django.security" in line]
    assert response.status_code == 400
    assert len(lines) == 1, out.getvalue()
    assert f" WARNING django.security.{kind} " in lines[0]
    assert "Traceback" not in out.getvalue()


def test_other_errors_keep_their_level_and_traceback():
    with console() as out:
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("vindaris.test").exception("it broke")

    assert " ERROR vindaris.test it broke" in out.getvalue()
    assert "Traceback" in out.getvalue()
