import os
import subprocess
import sys

from django.conf import settings

ROOT = settings.BASE_DIR


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE is a test-process setting, never a deployed one.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "vindaris.settings.production", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_pass_the_deploy_checklist():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", SECRET_KEY="k" * 20 + "-Zq8#x" * 8
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
