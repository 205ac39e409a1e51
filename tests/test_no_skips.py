"""Nothing in the suite skips by itself: a skipped test is a check that did not run, and a run
that reports "passed" must have run everything (a quick subset is chosen with ARGS, not by the
tests). tests/conftest.py also turns any skip, at collection or at run time, into a failure."""

import ast
from pathlib import Path

import pytest

from tests.conftest import refuse_skip

TESTS = Path(__file__).resolve().parent
# pytest's, unittest's and Django's ways to skip a test or expect it to fail.
SKIPPING = {
    "skip",
    "skipif",
    "xfail",
    "importorskip",
    "skipTest",
    "skipIf",
    "skipUnless",
    "expectedFailure",
    "skipIfDBFeature",
    "skipUnlessDBFeature",
    # raised or set by hand: the exceptions behind a skip, and conftest's ways to leave
    # modules or tests out of the run
    "SkipTest",
    "Skipped",
    "collect_ignore",
    "collect_ignore_glob",
    "pytest_ignore_collect",
    "deselect",
}


def _skips(path: Path) -> list[str]:
    """Each use of a way to skip in the module (`pytest.skip`, `skip` imported, a skip raised
    by hand, a hook or list that leaves tests out), as "line name"."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in SKIPPING:
            found.append(f"{node.lineno} {node.attr}")
        elif isinstance(node, ast.Name) and node.id in SKIPPING:
            found.append(f"{node.lineno} {node.id}")
        elif isinstance(node, ast.FunctionDef) and node.name in SKIPPING:
            found.append(f"{node.lineno} {node.name}")
        elif isinstance(node, ast.alias) and node.name in SKIPPING:
            found.append(f"{getattr(node, 'lineno', 0)} {node.name}")
    return found


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


def test_the_scan_finds_a_skip_imported_by_name_and_djangos(tmp_path):
    module = tmp_path / "test_y.py"
    module.write_text(
        "from pytest import skip\n"
        "from django.test import skipUnlessDBFeature\n"
        "\n"
        "def test(self):\n"
        "    skip('x')\n"
        "    self.skipTest('y')\n"
    )

    assert sorted(_skips(module)) == sorted(
        ["1 skip", "2 skipUnlessDBFeature", "5 skip", "6 skipTest"]
    )


@pytest.mark.parametrize(
    "report",
    [
        pytest.TestReport(
            "t.py::test", ("t.py", 1, "test"), {}, "skipped", ("t.py", 1, "no"), "call"
        ),
        pytest.TestReport(
            "t.py::test", ("t.py", 1, "test"), {}, "skipped", ("t.py", 1, "no"), "setup"
        ),
        pytest.CollectReport("t.py", "skipped", ("t.py", 1, "no module"), []),
    ],
    ids=["at run time", "in a fixture or marker", "when collected"],
)
def test_a_skip_is_reported_as_a_failure(report):
    refuse_skip(report)

    assert report.failed
    assert "skipped, which the suite does not allow" in str(report.longrepr)


def test_the_scan_finds_skips_raised_by_hand_and_modules_left_out(tmp_path):
    module = tmp_path / "conftest.py"
    module.write_text(
        "import unittest\n"
        "collect_ignore = ['test_slow.py']\n"
        "def pytest_ignore_collect(collection_path, config): ...\n"
        "def test():\n"
        "    raise unittest.SkipTest('no browser')\n"
    )

    assert sorted(_skips(module)) == sorted(
        ["2 collect_ignore", "3 pytest_ignore_collect", "5 SkipTest"]
    )


def test_a_test_marked_to_fail_is_a_failure_even_when_it_passes():
    report = pytest.TestReport("t.py::test", ("t.py", 1, "test"), {}, "passed", None, "call")
    report.wasxfail = "reason"

    refuse_skip(report)

    assert report.failed
    assert "marked to fail" in str(report.longrepr)


def test_a_pass_stays_a_pass():
    report = pytest.TestReport("t.py::test", ("t.py", 1, "test"), {}, "passed", None, "call")

    refuse_skip(report)

    assert report.passed
