"""Container health check: GET /healthz on the local gunicorn; exit 0 when it answers "ok".

The Host header is the first entry of ALLOWED_HOSTS, so the request passes Django's host
validation wherever the image is deployed. /healthz is exempt from the HTTPS redirect.
"""

import os
import sys
import urllib.request

host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".")
if host in ("", "*"):
    host = "localhost"
url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/healthz"
try:
    with urllib.request.urlopen(  # noqa: S310 (a fixed http:// URL)
        urllib.request.Request(url, headers={"Host": host}), timeout=4
    ) as response:
        sys.exit(0 if response.read() == b"ok" else 1)
except OSError as error:
    print(f"unhealthy: {error}", file=sys.stderr)
    sys.exit(1)
