"""Gunicorn settings (read from the working directory): the container image's web server."""

import os

# Inside a container the port is published by the engine, so listen on every interface.
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"  # noqa: S104
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
timeout = 30
graceful_timeout = 20
accesslog = "-"
# Worker heartbeats on a memory-backed folder, so a slow disk never gets a worker killed.
shm = "/dev/shm"  # noqa: S108 (gunicorn only touches its own heartbeat files there)
if os.path.isdir(shm):
    worker_tmp_dir = shm
# No runtime control socket (gunicorn >= 25.1): containers are managed by restarting them, and the
# unprivileged user has no writable home for one.
control_socket_disable = True
