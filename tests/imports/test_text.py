"""Uploads as text and CSV rows: encodings, delimiters, quotes, and the files that cannot be read.

The broken files are in samples/broken/ (written by samples/make.py); what each holds is
spelled out where a test reads it.
"""

import io
from decimal import Decimal
from pathlib import Path

import pytest

from imports.readers import jira
from imports.readers.base import Problem, UnreadableFile, WorkRow
from imports.readers.cells import estimate_cell, parse_date, status_from_name
from imports.readers.text import CsvFile, Row, csv_rows, open_text, sniff

BROKEN = Path(__file__).parent / "samples" / "broken"


def text_of(name: str) -> str:
    with open(BROKEN / name, "rb") as binary:
        return open_text(binary).read()


def rows_of(name: str) -> list[Row | Problem]:
    with open(BROKEN / name, "rb") as binary:
        return list(CsvFile(open_text(binary)))


# Encodings ------------------------------------------------------------------------------------


def test_an_empty_file_is_refused():
    with pytest.raises(UnreadableFile, match=r"^The file is empty\.$"):
        text_of("empty.csv")


def test_a_file_of_a_bom_and_blank_lines_is_empty():
    # blank.csv: a UTF-8 byte order mark, then " \r\n\r\n  \r\n".
    with pytest.raises(UnreadableFile, match=r"^The file is empty\.$"):
        text_of("blank.csv")


def test_a_utf8_byte_order_mark_is_dropped():
    text = text_of("bom.csv")
    assert text.startswith("ID,Team,Title")
    assert "Café menu" in text


def test_utf16_with_a_byte_order_mark_is_read():
    assert text_of("utf16.csv") == (
        "ID,Team,Title,Status,Project\r\nENG-1,Engineering,Café menu,Todo,Checkout\r\n"
    )


def test_utf16_without_a_byte_order_mark_is_told_by_its_nul_bytes():
    assert text_of("utf16be_nobom.csv") == (
        "ID,Team,Title,Status,Project\r\nENG-1,Engineering,Naïve search,Todo,\r\n"
    )


def test_a_file_that_is_not_utf8_is_read_as_windows_1252():
    # latin1.csv was written in Windows-1252: è û — € are single bytes there.
    assert "Crème brûlée — 5 €" in text_of("latin1.csv")


def test_the_five_bytes_windows_1252_leaves_undefined_read_as_latin1():
    assert open_text(io.BytesIO(b"Title\r\nA\x81B\xe9\r\n")).read() == "Title\r\nA\x81Bé\r\n"


def test_a_file_that_stops_being_utf8_after_its_first_chunk_names_the_line():
    # 3,000 rows of ASCII (about 108 kB) after the header, then ENG-3001 on line 3002 with
    # "Café" in Windows-1252: the start decided UTF-8.
    with pytest.raises(UnreadableFile) as raised:
        text_of("not_utf8_later.csv")
    message = str(raised.value)
    assert "around line 3002" in message
    assert "save it as UTF-8" in message


def test_a_spreadsheet_is_not_a_text_file():
    with pytest.raises(UnreadableFile, match="not a text file"):
        text_of("spreadsheet.xlsx")


def test_the_text_is_read_as_it_is_taken_not_whole():
    class Counting(io.BytesIO):
        taken = 0

        def read(self, size: int | None = -1) -> bytes:
            data = super().read(size)
            self.taken += len(data)
            return data

    binary = Counting(b"Title\n" + b"a row of text\n" * 100_000)  # 1.4 MB
    text = open_text(binary)
    assert text.readline() == "Title\n"
    assert binary.taken < 300_000


# CSV ------------------------------------------------------------------------------------------


def test_a_semicolon_delimited_file_is_told_from_its_header():
    # semicolon_quoted.csv: Jira columns split by ";", a quoted summary holding a ";", and
    # story points "2,5" with a decimal comma.
    with open(BROKEN / "semicolon_quoted.csv", "rb") as binary:
        table = CsvFile(open_text(binary))
        rows = list(table)
    assert table.delimiter == ";"
    assert [row.get("Summary") for row in rows if isinstance(row, Row)] == [
        "Rotate keys; every quarter",
        "Upgrade Postgres",
    ]
    with open(BROKEN / "semicolon_quoted.csv", "rb") as binary:
        first = next(jira.read(open_text(binary)))
    assert isinstance(first, WorkRow)
    assert first.estimate == Decimal("2.5")


def test_an_unquoted_delimiter_in_a_cell_is_a_row_with_too_many_cells():
    # semicolon.csv: "Rotate keys; every quarter" unquoted makes six cells under five headers.
    assert rows_of("semicolon.csv") == [
        Problem(2, "the row has 6 cells but the header has 5 columns")
    ]


def test_a_tab_delimited_file_is_told_from_its_header():
    with open(BROKEN / "tab.tsv", "rb") as binary:
        table = CsvFile(open_text(binary))
        [row] = list(table)
    assert table.delimiter == "\t"
    assert isinstance(row, Row)
    assert (row.get("Title"), row.get("URL"), row.get("status")) == (
        "Fix login",
        "https://github.com/acme/web/issues/9",
        "Done",
    )


def test_quoted_newlines_stay_in_their_cell_and_rows_keep_their_first_line():
    # quoted_newlines.csv: ENG-1 on lines 2-3 (a title over two lines), ENG-2 on lines 4-5 (a
    # doubled quote in its title, a project over two lines), ENG-3 on line 6.
    rows = rows_of("quoted_newlines.csv")
    assert [(row.line, row.get("ID")) for row in rows if isinstance(row, Row)] == [
        (2, "ENG-1"),
        (4, "ENG-2"),
        (6, "ENG-3"),
    ]
    first, second, _third = rows
    assert isinstance(first, Row) and isinstance(second, Row)
    assert first.raw("Title") == "Two\r\nline title"
    assert second.get("Title") == 'Say "hi"'
    assert second.raw("Project") == "Check\r\nout"


def test_an_unbalanced_quote_stops_the_file_at_the_row_that_opened_it():
    # unbalanced_quote.csv: ENG-1 on line 2 is fine; ENG-2 on line 3 opens a quote that never
    # closes, before six more rows.
    with pytest.raises(UnreadableFile) as raised:
        rows_of("unbalanced_quote.csv")
    assert str(raised.value).startswith("Line 3: a quote opened in this row is never closed")


def test_a_quote_closed_in_the_middle_of_a_cell_names_its_line():
    data = 'ID,Team,Title\r\nENG-1,Eng,ok\r\nENG-2,Eng,"Closed" too early\r\n'
    with pytest.raises(UnreadableFile, match=r"^Line 3: a quoted cell is followed by more text"):
        list(CsvFile(io.StringIO(data)))


def test_a_row_with_more_cells_than_the_header_is_a_problem_but_empty_extras_are_not():
    # too_many_cells.csv: ENG-2 (line 3) has an unquoted comma in its title; ENG-3 (line 4)
    # ends with two empty cells, as spreadsheets write them.
    rows = rows_of("too_many_cells.csv")
    assert rows[1] == Problem(3, "the row has 6 cells but the header has 5 columns")
    assert isinstance(rows[0], Row) and isinstance(rows[2], Row)
    assert (rows[0].line, rows[2].line, rows[2].get("Title")) == (2, 4, "Trailing empties")


def test_blank_lines_are_skipped_and_counted():
    data = "\r\n\r\nID,Team,Title\r\n\r\nENG-1,Eng,One\r\n,,\r\n\r\nENG-2,Eng,Two\r\n"
    rows = list(CsvFile(io.StringIO(data)))
    assert [(row.line, row.get("ID")) for row in rows if isinstance(row, Row)] == [
        (5, "ENG-1"),
        (8, "ENG-2"),
    ]


def test_headers_match_trimmed_and_in_any_case_and_repeated_ones_collect():
    data = " issue KEY ,Labels,labels,LABELS , Summary\r\nPM-1,a,,c,Title\r\n"
    table = CsvFile(io.StringIO(data))
    [row] = list(table)
    assert isinstance(row, Row)
    assert table.has("Issue key", "labels")
    assert row.get("Issue Key") == "PM-1"
    assert row.all("Labels") == ["a", "c"]
    assert list(csv_rows(io.StringIO(data))) == [
        (2, {"issue key": "PM-1", "labels": ["a", "c"], "summary": "Title"})
    ]


def test_a_formula_cell_is_kept_as_written():
    # formula.csv: ENG-1's title is =HYPERLINK("http://x","y"), written quoted with doubled
    # quotes; ENG-2's is '=1+2.
    rows = rows_of("formula.csv")
    assert [row.get("Title") for row in rows if isinstance(row, Row)] == [
        '=HYPERLINK("http://x","y")',
        "'=1+2",
        "'Quoted on purpose'",
    ]


# Telling the format ---------------------------------------------------------------------------


def test_sniff_gives_a_csv_header_and_leaves_the_file_where_it_was():
    with open(BROKEN / "bom.csv", "rb") as binary:
        sniffed = sniff(binary)
        assert binary.tell() == 0
    assert (sniffed.kind, sniffed.names) == ("csv", ["ID", "Team", "Title", "Status", "Project"])


def test_sniff_gives_the_keys_of_a_json_array_first_item():
    data = b'  [\n {"number": 1, "title": "A", "labels": [{"name": "x"}], "url": "u"}, {"b": 2}]'
    sniffed = sniff(io.BytesIO(data))
    assert (sniffed.kind, sniffed.shape, sniffed.names) == (
        "json",
        "array",
        ["number", "title", "labels", "url"],
    )


def test_sniff_gives_the_first_keys_of_a_json_object():
    sniffed = sniff(io.BytesIO(b'{"goals": [{"key": "G-1"}], "tasks": []}'))
    assert (sniffed.kind, sniffed.shape, sniffed.names) == ("json", "object", ["goals", "tasks"])


# Cells ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("25/Jun/20 12:44", (2020, 6, 25)),
        ("25/Jun/20 12:44 PM", (2020, 6, 25)),
        ("5/jun/2020 1:05 AM", (2020, 6, 5)),
        ("25/Jun/20", (2020, 6, 25)),
        ("2020-06-25 12:44", (2020, 6, 25)),
        ("2020-06-25T23:44:00.000+0200", (2020, 6, 25)),
        ("2024-03-01T10:21:33.000Z", (2024, 3, 1)),
        ("Fri Mar 01 2024 10:21:33 GMT+0000 (Coordinated Universal Time)", (2024, 3, 1)),
        ("Mar 1, 2024", (2024, 3, 1)),
        ("25/06/2020", (2020, 6, 25)),
        ("06/25/2020", (2020, 6, 25)),
        ("03/03/2024", (2024, 3, 3)),
    ],
)
def test_dates_as_the_tools_write_them(written, day):
    assert parse_date(written).timetuple()[:3] == day


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("03/04/2024", "either way round"),
        ("31/Jun/24", "day is out of range"),
        ("25/Foo/20", "'Foo' is not a month"),
        ("next week", "not a date"),
        ("31/13/2020", "no month 13"),
    ],
)
def test_what_is_not_a_date_says_why(written, reason):
    with pytest.raises(ValueError, match=reason):
        parse_date(written)


@pytest.mark.parametrize(
    ("written", "number", "warned"),
    [
        ("3", Decimal(3), False),
        ("3.0", Decimal(3), False),
        ("30", Decimal(30), False),
        ("2,5", Decimal("2.5"), False),
        ("0.50", Decimal("0.5"), False),
        ("", None, False),
        ("TBD", None, True),
        ("NaN", None, True),
        ("-1", None, True),
        ("1e9", None, True),
    ],
)
def test_estimates(written, number, warned):
    warnings: list[str] = []
    assert estimate_cell(written, "estimate", warnings) == number
    assert bool(warnings) is warned
    if number is not None:
        assert str(estimate_cell(written, "estimate", [])) == str(number)


def test_common_status_names():
    assert [
        status_from_name(name)
        for name in ("To Do", "BACKLOG", "In Review", "Blocked", "Won’t Do", "Closed", "Ship it")
    ] == ["todo", "todo", "in_progress", "blocked", "cancelled", "done", ""]
