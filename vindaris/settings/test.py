"""Test settings: a thin override of base (fast hashing, in-memory email, eager nothing)."""

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CONN_MAX_AGE = 0
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
ALLOWED_HOSTS = ["*"]
SITE_URL = "http://testserver"
STATIC_ROOT = BASE_DIR / ".state" / "test-static"  # noqa: F405
WHITENOISE_AUTOREFRESH = True
# Uploads (imports) of the test run, apart from a development server's.
MEDIA_ROOT = BASE_DIR / ".state" / "test-media"  # noqa: F405
WEBHOOKS_ALLOW_PRIVATE = True  # the tests run a real receiver on loopback
