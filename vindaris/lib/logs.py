"""Log records as an operator needs them.

Bad input a client sent (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields or files) is
answered 400 and is the client's doing, not a fault of ours: Django logs it at ERROR with a
traceback on the `django.security.<kind>` loggers. BadInputAsWarning, a filter on the handlers,
makes it one WARNING line.
"""

import logging

BAD_INPUT = frozenset(
    f"django.security.{kind}"
    for kind in ("RequestDataTooBig", "TooManyFieldsSent", "TooManyFilesSent")
)


class BadInputAsWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name in BAD_INPUT and record.levelno > logging.WARNING:
            record.levelno = logging.WARNING
            record.levelname = logging.getLevelName(logging.WARNING)
            record.exc_info = None
            record.exc_text = None
            record.stack_info = None
        return True
