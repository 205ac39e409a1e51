"""One HTTP POST to a receiver, made safe for a URL that someone outside typed in.

- The host is resolved when the request is sent, and every address it resolves to is checked:
  unless WEBHOOKS_ALLOW_PRIVATE, an address that is not public (private, loopback, link-local,
  shared, reserved, multicast, unspecified; IPv4-mapped IPv6 addresses by their IPv4 address)
  refuses the delivery. The connection is then made to the address that was checked, never by
  name again, so a DNS answer that changes between the check and the connection (rebinding)
  cannot reach an internal host. HTTPS still verifies the certificate against the host name.
- Short connect and read timeouts; no redirect is followed (a 3xx is a failed attempt, logged);
  at most RESPONSE_LIMIT bytes of the response body are read.

The standard library's http.client, whose connection classes let the address be chosen."""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

RESPONSE_LIMIT = 4096
EXCERPT_LIMIT = 1000
USER_AGENT = "Vindaris-Webhooks/1"


class Refused(Exception):
    """The URL may not be delivered to (a non-public address, a scheme other than http(s))."""


@dataclass(frozen=True)
class Response:
    status: int | None  # None when no response came (refused, network error, timeout)
    duration_ms: int
    excerpt: str
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        """Network errors, timeouts, 5xx and 429 are tried again; other answers are final
        for this attempt's round (a 4xx will not fix itself)."""
        if self.status is None:
            return not self.error.startswith("refused")
        return self.status >= 500 or self.status == 429


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> str:
    """The address to connect to: the first of the host's addresses, when all of them are
    allowed (one bad answer refuses the delivery: a name that points inside is not a
    receiver)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise OSError(f"cannot resolve {host}: {e.strerror}") from e
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise OSError(f"cannot resolve {host}")
    if not settings.WEBHOOKS_ALLOW_PRIVATE:
        for address in addresses:
            if not is_public(address):
                raise Refused(f"refused: {host} resolves to {address}, which is not public")
    return addresses[0]


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to `address` (already checked), whatever the host name says."""

    def __init__(
        self, host: str, port: int, *, address: str, read_timeout: float, **kw: Any
    ) -> None:
        super().__init__(host, port, **kw)
        self._address = address
        self._read_timeout = read_timeout

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock.settimeout(self._read_timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(
        self, host: str, port: int, *, address: str, read_timeout: float, **kw: Any
    ) -> None:
        super().__init__(host, port, context=ssl.create_default_context(), **kw)
        self._address = address
        self._read_timeout = read_timeout

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        sock.settimeout(self._read_timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]  # http.client keeps its SSL context there


def check_url(url: str) -> None:
    """Refuse what can never be delivered to: a scheme other than http(s), or no host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("refused: only http and https URLs")


def post(url: str, body: bytes, headers: dict[str, str]) -> Response:
    """POST `body` to `url`; never raises for what the receiver or the network does."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        check_url(url)
        parts = urlsplit(url)
        host = parts.hostname or ""
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        address = resolve(host, port)
        cls = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
        conn = cls(
            host,
            port,
            address=address,
            read_timeout=settings.WEBHOOKS_READ_TIMEOUT,
            timeout=settings.WEBHOOKS_CONNECT_TIMEOUT,
        )
        try:
            path = parts.path or "/"
            if parts.query:
                path += "?" + parts.query
            conn.request(
                "POST",
                path,
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": USER_AGENT,
                    **headers,
                },
            )
            answer = conn.getresponse()
            raw = answer.read(RESPONSE_LIMIT)
            status = answer.status
        finally:
            conn.close()
    except Refused as e:
        return Response(None, took(), "", str(e)[:300])
    except TimeoutError:
        return Response(None, took(), "", "timed out")
    except (OSError, http.client.HTTPException, ValueError) as e:
        return Response(None, took(), "", f"{type(e).__name__}: {e}"[:300])
    excerpt = raw.decode("utf-8", errors="replace")[:EXCERPT_LIMIT]
    error = ""
    if 300 <= status < 400:
        error = "redirects are not followed"
    return Response(status, took(), excerpt, error)
