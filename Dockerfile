# The Vindaris app image: gunicorn by default; the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=vindaris.settings.production \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/var/lib/vindaris/media \
    WEB_CONCURRENCY=3

RUN groupadd --system --gid 10001 vindaris \
 && useradd --system --uid 10001 --gid vindaris --home-dir /app --no-create-home vindaris \
 && install -d -o vindaris -g vindaris /var/lib/vindaris/media

# Runtime dependencies only, exactly as locked (every wheel checked against its hash).
COPY requirements.lock /tmp/requirements.lock
RUN python -m venv /opt/venv \
 && pip install --require-hashes -r /tmp/requirements.lock \
 && rm /tmp/requirements.lock

WORKDIR /app
COPY . .

# Static files are collected into the image and served by WhiteNoise. The key below exists only
# for this build step (production settings refuse to load without one); it is never used at run time.
RUN SECRET_KEY=build-only-collectstatic-key-not-used-at-runtime-0123456789abcdef \
    python manage.py collectstatic --no-input -v0

USER vindaris
EXPOSE 8000

# GET /healthz (plain "ok", exempt from the HTTPS redirect) with a Host from ALLOWED_HOSTS.
# Containers of this image that run Celery instead replace it (see docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "scripts/healthcheck.py"]

CMD ["gunicorn", "vindaris.wsgi:application"]
