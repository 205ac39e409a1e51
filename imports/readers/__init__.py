"""The formats the importer reads, and how a file's format is told.

`READERS` names every format. `detect` tells a file's format from its CSV header or the shape
of its JSON; `open_reader` gives the reader and its rows for an upload, the format the user
chose (if any) overriding detection. Both raise `UnreadableFile` with a message for the user.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from imports.readers import asana, github, jira, linear, vindaris
from imports.readers.base import Item, Reader, UnreadableFile
from imports.readers.text import Sniffed, open_text, seekable, sniff


@dataclass(frozen=True)
class Signature:
    """How a format shows in a file: CSV or JSON (and the JSON's top, "array" or "object"), the
    columns or keys it must have, and, to tell it from look-alikes, one of `any_of` too."""

    kind: str
    required: tuple[str, ...]
    any_of: tuple[str, ...] = ()
    shape: str = ""

    def matches(self, sniffed: Sniffed) -> bool:
        if sniffed.kind != self.kind or (self.shape and sniffed.shape != self.shape):
            return False
        if not sniffed.has(*self.required):
            return False
        return not self.any_of or any(sniffed.has(name) for name in self.any_of)


# In the order detection tries them: the most particular first.
SIGNATURES: dict[str, Signature] = {
    "vindaris_trace_csv": Signature("csv", vindaris.TRACE_REQUIRED),
    "vindaris_csv": Signature("csv", vindaris.STRATEGY_REQUIRED),
    "vindaris_json": Signature("json", (), shape="object"),  # the only object: nodes and edges
    "jira": Signature("csv", jira.REQUIRED),
    "asana": Signature("csv", asana.REQUIRED),
    "linear": Signature("csv", linear.REQUIRED),
    "github_project": Signature("csv", github.REQUIRED_PROJECT),
    "github": Signature("json", github.REQUIRED_JSON, shape="array"),
}

READERS: dict[str, Reader] = {
    reader.name: reader
    for reader in (
        jira.JIRA,
        linear.LINEAR,
        github.GITHUB,
        github.GITHUB_PROJECT,
        asana.ASANA,
        vindaris.VINDARIS_CSV,
        vindaris.VINDARIS_TRACE_CSV,
        vindaris.VINDARIS_JSON,
    )
}


def _known() -> str:
    return ", ".join(reader.label for reader in READERS.values())


def _shown(names: list[str], most: int = 8) -> str:
    shown = ", ".join(names[:most])
    return shown + (", …" if len(names) > most else "")


def detect(binary: IO[bytes]) -> Reader:
    """The format of a seekable upload (left where it was), from its CSV header or JSON shape.

    An empty JSON array is taken for GitHub issues (the only array format). Raises
    `UnreadableFile` naming the formats known when nothing matches."""
    sniffed = sniff(binary)
    for name, signature in SIGNATURES.items():
        if signature.matches(sniffed):
            return READERS[name]
    if sniffed.kind == "json" and sniffed.shape == "array" and not sniffed.names:
        return READERS["github"]
    if sniffed.kind == "json":
        what = f"a JSON {sniffed.shape}" + (
            f" with keys {_shown(sniffed.names)}" if sniffed.names else ""
        )
    else:
        what = f"a file with the columns {_shown(sniffed.names)}"
    raise UnreadableFile(
        f"This is {what}, which is none of the formats Vindaris reads ({_known()}). Export "
        f"the file again from one of these tools, or choose its format by hand."
    )


def open_reader(binary: IO[bytes], format: str | None = None) -> tuple[Reader, Iterator[Item]]:
    """The reader for an upload and the items it yields, read as they are taken.

    `format` (a name of `READERS`), when given, overrides detection; the file must then have
    that format's required columns, else `UnreadableFile` says which are missing."""
    binary = seekable(binary)
    if not format:
        reader = detect(binary)
    else:
        if format not in READERS:
            raise UnreadableFile(f"Unknown format {format!r}: the formats are {_known()}.")
        reader = READERS[format]
        _check(reader, SIGNATURES[format], sniff(binary))
    return reader, reader.read(open_text(binary))


def _check(reader: Reader, signature: Signature, sniffed: Sniffed) -> None:
    """Refuses a file that cannot be of the format the user chose."""
    if sniffed.kind != signature.kind:
        raise UnreadableFile(
            f"The file is {sniffed.kind.upper()}, but {reader.label} is {signature.kind.upper()}."
        )
    if signature.shape and sniffed.shape != signature.shape:
        raise UnreadableFile(
            f"The file is a JSON {sniffed.shape}, but {reader.label} is a JSON {signature.shape}."
        )
    if sniffed.kind == "json" and not sniffed.names:
        return  # an empty array: nothing to check, nothing to import
    missing = sniffed.missing(*signature.required)
    if missing:
        thing = "key" if sniffed.kind == "json" else "column"
        many = len(missing) > 1
        raise UnreadableFile(
            f"The headers do not look like {reader.label}: the {thing}{'s' if many else ''} "
            f"{', '.join(missing)} {'are' if many else 'is'} missing."
        )


__all__ = ["READERS", "SIGNATURES", "Signature", "detect", "open_reader"]
