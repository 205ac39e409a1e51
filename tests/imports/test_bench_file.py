"""The import benchmark's Jira file (bench/import_files.py): the same bytes for a seed, the
counts it claims, and what the Jira reader takes from it."""

import csv
from pathlib import Path

from bench.import_files import write_jira_csv
from imports.readers import open_reader
from imports.readers.base import GroupRow, WorkRow


def rows_of(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as text:
        return list(csv.reader(text))[1:]


def test_the_file_is_the_same_for_a_seed_and_its_rows_whatever_the_order(tmp_path):
    # 2,000 issues: epics open each block of 250 (1, 251, … 1751: 8), every fifth issue is a
    # sub-task of the one before (400).
    first = write_jira_csv(tmp_path / "a.csv", rows=2_000, seed=5)
    again = write_jira_csv(tmp_path / "b.csv", rows=2_000, seed=5)
    oldest = write_jira_csv(tmp_path / "c.csv", rows=2_000, seed=5, newest_first=False)
    other = write_jira_csv(tmp_path / "d.csv", rows=2_000, seed=6)
    assert (first.rows, first.epics, first.sub_tasks) == (2_000, 8, 400)
    assert first.path.read_bytes() == again.path.read_bytes()
    assert first.path.read_bytes() != other.path.read_bytes()
    assert sorted(rows_of(first.path)) == sorted(rows_of(oldest.path))
    assert first.size == oldest.size


def test_the_jira_reader_finds_what_the_file_holds(tmp_path):
    written = write_jira_csv(tmp_path / "big.csv", rows=2_000, seed=5)
    with open(written.path, "rb") as binary:
        reader, items = open_reader(binary)
        rows = list(items)
    assert reader.name == "jira"
    epics = [row for row in rows if isinstance(row, GroupRow)]
    work = {row.key: row for row in rows if isinstance(row, WorkRow)}
    assert [epic.key for epic in epics] == [f"BIG-{n}" for n in range(1751, 0, -250)]
    assert len(work) == 1_992
    # Newest first: a sub-task's parent (the issue before it) comes after it, so it is named
    # by its id, which that issue carries as its ref.
    sub_task = work["BIG-1000"]
    assert (sub_task.parent, work["BIG-999"].ref) == ("100999", "100999")
    assert sum(1 for row in work.values() if row.group) == written.with_epic_link
    # An epic link names the epic opening the block of 250.
    assert {row.group for key, row in work.items() if 751 < int(key[4:]) <= 1000 and row.group} == {
        "BIG-751"
    }
