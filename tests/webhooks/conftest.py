"""A real HTTP receiver on loopback, and a real Celery worker set for webhooks: quick retries,
a short lease, and loopback allowed (the receiver is on 127.0.0.1)."""

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.traceability.conftest import (
    Worker,
    celery_worker,  # noqa: F401 - the real worker fixture
)

ROOT = Path(__file__).resolve().parents[2]

# The worker's webhook settings (read from its environment by the base settings).
WORKER_ENV = {
    "WEBHOOKS_ALLOW_PRIVATE": "true",
    "WEBHOOKS_DISPATCH_SECONDS": "0.3",
    "WEBHOOKS_RETRY_SECONDS": "0.2",
    "WEBHOOKS_ATTEMPTS": "4",
    "WEBHOOKS_DISABLE_AFTER": "2",
    "WEBHOOKS_LEASE_SECONDS": "5",
}


@dataclass
class Seen:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers each request with the next of `script` (a status, or a callable given the
    request, returning (status, headers, body)); 200 once the script is used up."""

    url: str
    seen: list[Seen] = field(default_factory=list)
    script: list[Any] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 20) -> list[Seen]:
        with self.arrived:
            ok = self.arrived.wait_for(lambda: len(self.seen) >= count, timeout)
        assert ok, f"the receiver got {len(self.seen)} requests, not {count}"
        return list(self.seen)

    def event_ids(self) -> list[str]:
        return [s.headers["Vindaris-Event-Id"] for s in self.seen]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(self.path, dict(self.headers.items()), self.rfile.read(length))
            r = state["r"]
            with r.lock:
                step = r.script.pop(0) if r.script else 200
            with r.arrived:
                r.seen.append(seen)
                r.arrived.notify_all()
            status, headers, body = step(seen) if callable(step) else (step, {}, b"ok")
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the sender is gone (killed mid-delivery)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["r"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state["r"]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def webhook_worker(request: pytest.FixtureRequest) -> Iterator[Worker]:
    """The real worker (tests/traceability/conftest.py) started with WORKER_ENV."""
    saved = {name: os.environ.get(name) for name in WORKER_ENV}
    os.environ.update(WORKER_ENV)
    try:
        worker = request.getfixturevalue("celery_worker")
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    yield worker


def readme_verify() -> Callable[[str, dict[str, str], bytes], bool]:
    """The README's verification snippet, run as it is written there."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### Webhooks") :]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's Webhooks section has no Python snippet"
    scope: dict[str, Any] = {}
    exec(compile(match.group(1), "README.md", "exec"), scope)  # noqa: S102 - our own README
    return scope["verify"]
