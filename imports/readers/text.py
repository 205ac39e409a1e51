"""An uploaded file as text, and a CSV file as rows: the part every reader shares.

`open_text` decides the encoding from the file's first bytes (a byte order mark, UTF-16's NUL
bytes, UTF-8, else Windows-1252) and decodes the rest as it is read: a file is never loaded
whole. `CsvFile` reads the header (guessing the delimiter among `,` `;` and tab), then yields
each row with the line it starts on, or a `Problem` for a row it cannot take. `sniff` reads just
enough of a file to tell its format: the CSV header, or the shape of the JSON.
"""

import codecs
import csv
import functools
import io
import itertools
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, TextIO

import ijson

from imports.readers.base import Problem, UnreadableFile

# How much of a file decides its encoding (and is checked for being text at all).
FIRST_CHUNK = 64 * 1024
READ_CHUNK = 64 * 1024

# The longest cell the csv module takes (its default). A longer one nearly always means a quote
# opened and never closed, swallowing the rest of the file: the file is refused.
CELL_MAX = csv.field_size_limit()

DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}

SAVE_AS_UTF8 = "save it as UTF-8 (in Excel: Save As → CSV UTF-8) and upload it again"


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    """Windows-1252 leaves five bytes undefined; Latin-1 reads them as control characters."""
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("imports.latin1", _latin1_fallback)


class _Source(io.RawIOBase):
    """The bytes of an upload from its current position (the first chunk already read, a byte
    order mark skipped), checked as they are read when the encoding can fail: a byte sequence
    that is not of the encoding stops the reading with the line it is on."""

    def __init__(self, binary: IO[bytes], first: bytes, encoding: str, check: bool) -> None:
        self._binary = binary
        self._pending = first
        self._encoding = encoding
        self._decoder = codecs.getincrementaldecoder(encoding)() if check else None
        self._lines = 0  # line breaks in the text checked so far

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._pending:
            data, self._pending = self._pending[: len(view)], self._pending[len(view) :]
        else:
            data = self._binary.read(len(view))
        if self._decoder is not None:
            self._check(data, final=not data)
        view[: len(data)] = data
        return len(data)

    def _check(self, data: bytes, *, final: bool) -> None:
        assert self._decoder is not None
        try:
            self._lines += self._decoder.decode(data, final).count("\n")
        except UnicodeDecodeError as error:
            good = error.object[: error.start].decode(self._encoding, "replace")
            line = self._lines + good.count("\n") + 1
            name = "UTF-8" if self._encoding == "utf-8" else self._encoding.upper()
            raise UnreadableFile(
                f"The file starts as {name} but around line {line} it is not {name}: "
                f"{SAVE_AS_UTF8}."
            ) from None

    def close(self) -> None:
        # The upload is the caller's to close.
        super().close()


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 without a byte order mark, by where its NUL bytes fall: text mostly in ASCII has
    a NUL in every other byte, after each character (little-endian) or before it (big-endian)."""
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even = sample[0 : pairs * 2 : 2].count(0)
    odd = sample[1 : pairs * 2 : 2].count(0)
    if odd >= pairs * 0.3 and even <= odd * 0.1:
        return "utf-16-le"
    if even >= pairs * 0.3 and odd <= even * 0.1:
        return "utf-16-be"
    return None


def _blank(data: bytes, encoding: str) -> bool:
    return not data.decode(encoding, "ignore").strip()


def open_text(binary: IO[bytes]) -> TextIO:
    """The upload as text, from its current position, decoded as it is read.

    The encoding comes from the first bytes: a UTF-8 or UTF-16 byte order mark (dropped from
    the text), UTF-16 without one by its NUL bytes, UTF-8 when the first chunk is valid UTF-8,
    otherwise Windows-1252 (Latin-1 for the five bytes it leaves undefined). Line endings are
    kept as written (the csv module handles them). Raises `UnreadableFile` for an empty file,
    a binary file (a spreadsheet saved as .xlsx), and — while reading — a file whose later part
    is not of the encoding its start showed, saying around which line."""
    first = binary.read(FIRST_CHUNK)
    bom = b""
    encoding = ""
    for mark, name in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF32_LE, ""),  # told apart from UTF-16's mark before it is taken for one
        (codecs.BOM_UTF32_BE, ""),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if first.startswith(mark):
            if not name:
                raise UnreadableFile(f"The file is in UTF-32: {SAVE_AS_UTF8}.")
            bom, encoding = mark, name
            break
    first = first[len(bom) :]
    if not encoding:
        encoding = _utf16_without_bom(first) or ""
    if not encoding:
        if b"\0" in first or first.startswith(b"PK\x03\x04"):
            raise UnreadableFile(
                "The file is not a text file (CSV or JSON). A spreadsheet must be saved as CSV "
                "UTF-8 first."
            )
        try:
            codecs.getincrementaldecoder("utf-8")().decode(first, final=False)
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "cp1252"
    # Only whitespace (or nothing) after the mark is an empty file; read on until text shows.
    while _blank(first, encoding):
        more = binary.read(READ_CHUNK)
        if not more:
            raise UnreadableFile("The file is empty.")
        first += more
    check = encoding != "cp1252"
    raw = _Source(binary, first, encoding, check)
    return io.TextIOWrapper(
        io.BufferedReader(raw, READ_CHUNK),
        encoding=encoding,
        errors="imports.latin1" if encoding == "cp1252" else "strict",
        newline="",
    )


def seekable(binary: IO[bytes]) -> IO[bytes]:
    """The upload itself when it can go back to its start, else a copy of it that can (spilled
    to disk past a few megabytes): telling the format reads the start twice."""
    if binary.seekable():
        return binary
    copy = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    shutil.copyfileobj(binary, copy)
    copy.seek(0)
    return copy


# CSV ------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)  # readers ask for the same few names on every row
def header_name(name: str) -> str:
    """A column's name as headers are matched: trimmed, case and inner spacing ignored."""
    return " ".join(name.split()).casefold()


def _sniff_delimiter(line: str) -> str:
    """The delimiter of a header line: the most frequent of `,` `;` and tab outside quotes
    (a comma on a tie or when there is none: a one-column file)."""
    outside = re.sub(r'"[^"]*"', "", line)
    counts = {d: outside.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


@dataclass
class Row:
    """One CSV row: the line it starts on and its cells, read by header name."""

    line: int
    cells: list[str]
    columns: dict[str, list[int]] = field(repr=False)

    def get(self, *names: str) -> str:
        """The first non-empty cell among the columns named (any spelling of each name),
        trimmed; "" when none has a value."""
        for name in names:
            for index in self.columns.get(header_name(name), ()):
                if index < len(self.cells):
                    value = self.cells[index].strip()
                    if value:
                        return value
        return ""

    def raw(self, name: str) -> str:
        """The first column of that name as written (not trimmed): descriptions keep their
        layout."""
        for index in self.columns.get(header_name(name), ()):
            if index < len(self.cells):
                return self.cells[index]
        return ""

    def all(self, *names: str) -> list[str]:
        """The non-empty cells of every column with one of these names (a Jira export repeats
        `Labels` once per label), trimmed, in column order."""
        values = []
        for name in names:
            for index in self.columns.get(header_name(name), ()):
                if index < len(self.cells):
                    value = self.cells[index].strip()
                    if value:
                        values.append(value)
        return values


class CsvFile:
    """A CSV file read a row at a time: its header (delimiter guessed among `,` `;` and tab),
    then `Row`s with the line each starts on, and a `Problem` for each row it cannot take.

    Blank rows are skipped; a short row is padded with empty cells; a row with more (non-empty)
    cells than the header is a problem. A quote that never closes stops the reading with
    `UnreadableFile`, naming the line the row that opened it starts on: the csv module would
    otherwise read the rest of the file as one cell."""

    def __init__(self, text: TextIO) -> None:
        first = text.readline()
        blank = 0  # blank lines before the header, which the csv reader does not count
        while first and not first.strip():
            blank += 1
            first = text.readline()
        if not first:
            raise UnreadableFile("The file is empty.")
        self.delimiter = _sniff_delimiter(first)
        self._blank = blank
        self._reader = csv.reader(
            itertools.chain([first], text), delimiter=self.delimiter, strict=True
        )
        header = self._next_row(blank + 1)
        self.headers = [name.strip() for name in header]
        self.columns: dict[str, list[int]] = {}
        for index, name in enumerate(self.headers):
            if name:
                self.columns.setdefault(header_name(name), []).append(index)

    @property
    def line(self) -> int:
        """The file's lines read so far."""
        return self._blank + self._reader.line_num

    def _next_row(self, start: int) -> list[str]:
        try:
            return next(self._reader)
        except csv.Error as error:
            raise UnreadableFile(self._explain(error, start)) from None

    def _explain(self, error: csv.Error, start: int) -> str:
        message = str(error)
        if "end of data" in message or "field larger" in message:
            return (
                f"Line {start}: a quote opened in this row is never closed, so the rest of the "
                f'file would be read as one cell. Close the quote (or double it, "", inside a '
                f"quoted cell) and upload the file again."
            )
        if "expected after" in message:
            return (
                f"Line {self.line}: a quoted cell is followed by more text before "
                f"the next {DELIMITER_NAMES[self.delimiter]} (a quote inside a quoted cell "
                f'must be doubled: ""). Fix the quotes and upload the file again.'
            )
        if "NUL" in message:
            return f"Line {self.line}: the file holds a NUL byte, so it is not text."
        return f"Line {start}: the file is not valid CSV ({message})."

    def has(self, *names: str) -> bool:
        """Whether the header has every one of these columns."""
        return all(header_name(name) in self.columns for name in names)

    def missing(self, *names: str) -> list[str]:
        """The columns named that the header does not have."""
        return [name for name in names if header_name(name) not in self.columns]

    def __iter__(self) -> Iterator[Row | Problem]:
        width = len(self.headers)
        while True:
            start = self.line + 1
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise UnreadableFile(self._explain(error, start)) from None
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > width and any(cell.strip() for cell in cells[width:]):
                spans = self.line - start + 1
                hint = (
                    f" (the row runs over {spans} lines: a quote may be unbalanced)"
                    if spans > 1
                    else ""
                )
                yield Problem(
                    start,
                    f"the row has {len(cells)} cells but the header has {width} columns{hint}",
                )
                continue
            yield Row(start, cells, self.columns)


def csv_rows(text: TextIO) -> Iterator[tuple[int, dict[str, str | list[str]]] | Problem]:
    """Each row of a CSV file as (the line it starts on, {header: cell}), header names matched
    as `header_name` spells them (trimmed, lower case); a header repeated in several columns
    gives the list of its non-empty cells. A row that cannot be taken is a `Problem`."""
    table = CsvFile(text)
    for item in table:
        if isinstance(item, Problem):
            yield item
            continue
        row: dict[str, str | list[str]] = {}
        for name, indexes in table.columns.items():
            if len(indexes) == 1:
                row[name] = item.cells[indexes[0]].strip() if indexes[0] < len(item.cells) else ""
            else:
                row[name] = item.all(name)
        yield item.line, row


# Format detection -----------------------------------------------------------------------------


@dataclass
class Sniffed:
    """What the start of a file says about its format: "csv" with its header names, or "json"
    with the shape of its top ("array" or "object") and the keys of its first item (an array)
    or its first keys (an object)."""

    kind: str  # "csv" or "json"
    names: list[str]  # the CSV header as written, or JSON keys
    shape: str = ""  # JSON: "array" or "object"
    delimiter: str = ""

    def has(self, *names: str) -> bool:
        have = {header_name(name) for name in self.names}
        return all(header_name(name) in have for name in names)

    def missing(self, *names: str) -> list[str]:
        have = {header_name(name) for name in self.names}
        return [name for name in names if header_name(name) not in have]


# How many parser events of a JSON object's top are read to find its keys.
JSON_SNIFF_EVENTS = 5000


class BytesOf:
    """Text read back as UTF-8 bytes, for ijson (which parses bytes), with `head` (text already
    read from it) put back in front."""

    def __init__(self, text: TextIO, head: str = "") -> None:
        self._text = text
        self._head = head.encode("utf-8")

    def read(self, size: int = -1) -> bytes:
        if size == 0:
            return b""  # ijson asks for nothing first, to see whether the file gives bytes
        if self._head:
            head, self._head = self._head, b""
            return head
        return self._text.read(size).encode("utf-8")


def first_character(text: TextIO) -> str:
    """The first character of the text that is not white space ("" for none)."""
    head = text.read(1)
    while head.isspace():
        head = text.read(1)
    return head


def _sniff_json(data: BytesOf, top: str) -> Sniffed:
    shape = "array" if top == "[" else "object"
    keys: list[str] = []
    try:
        for count, (prefix, event, value) in enumerate(ijson.parse(data)):
            if shape == "array":
                if prefix == "item" and event == "map_key":
                    keys.append(value)
                elif prefix in ("item", "") and event in ("end_map", "end_array"):
                    break
            else:
                if prefix == "" and event == "map_key":
                    keys.append(value)
                elif prefix == "" and event == "end_map":
                    break
            if count > JSON_SNIFF_EVENTS:
                break
    except ijson.JSONError as error:
        raise UnreadableFile(f"The file is not valid JSON ({error}).") from None
    return Sniffed("json", keys, shape)


def sniff(binary: IO[bytes]) -> Sniffed:
    """The format's signs at the start of a seekable upload, which is left where it was: a
    JSON file (first character `[` or `{`) gives its shape and keys, any other file its CSV
    header. Raises `UnreadableFile` for what `open_text` refuses."""
    position = binary.tell()
    try:
        text = open_text(binary)
        head = first_character(text)
        if head in ("[", "{"):
            return _sniff_json(BytesOf(text, head), head)
        binary.seek(position)
        text = open_text(binary)
        table = CsvFile(text)
        return Sniffed("csv", table.headers, delimiter=table.delimiter)
    finally:
        binary.seek(position)
