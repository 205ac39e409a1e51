"""Nothing in the suite skips by itself: a skipped test is a check that did not run, and a run
that reports "passed" must have run everything (a quick subset is chosen with ARGS, not by the
tests). tests/conftest.py also turns any skip at run time into a failure."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SKIPPING = {"skip", "skipif", "xfail", "importorskip"}


def _skips(path: Path) -> list[str]:
    """Each use of pytest's skip and xfail in the module, as "line name"."""
    return [
        f"{node.lineno} {node.attr}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr in SKIPPING
    ]


def test_no_test_module_skips_or_expects_failure():
    modules = sorted(TESTS.rglob("*.py"))
    skips = [
        f"{path.relative_to(TESTS)}:{skip}"
        for path in modules
        if path != Path(__file__).resolve()
        for skip in _skips(path)
    ]

    assert len(modules) > 50
    assert skips == []


def test_the_scan_finds_a_skip(tmp_path):
    module = tmp_path / "test_x.py"
    module.write_text("import pytest\n\n@pytest.mark.skipif(True, reason='x')\ndef test(): ...\n")

    assert _skips(module) == ["3 skipif"]
