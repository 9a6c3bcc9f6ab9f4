"""A PDF upload is read by a maintained parser (pypdf) and refused if it carries active content.

A hand-written scan of the raw bytes was bypassed by what PDF allows: names
written with ``#xx`` escapes, objects packed in object streams, and streams
encoded by any filter or chain of filters (``[/FlateDecode /ASCIIHexDecode]``).
Here the library parses the file as a viewer would, every object of the cross-
reference table is loaded (those inside object streams too, decoded by the
library whatever the filters), and every dictionary and array is walked for:

* JavaScript (``/JS``, ``/JavaScript``, an action ``/S /JavaScript``);
* automatic actions: ``/AA`` anywhere, ``/OpenAction`` that is an action (a plain
  destination, opening at a page, is fine);
* ``/Launch``, ``/SubmitForm``, ``/ImportData`` and ``/GoToE`` actions;
* embedded files (``/EmbeddedFile``, ``/EmbeddedFiles``, ``/EF``, file attachment
  annotations), rich media (``/RichMedia``) and XFA forms (``/XFA``).

The work is bounded, so a crafted file costs a bounded time and memory: the number
of objects and of pages declared, the bytes every stream other than an image
decodes to (each stream, and all together), and the wall-clock time. A file the
library cannot read, that is protected by a password, or that passes a bound is
refused with its own message, never an error page.
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

from pypdf import PdfReader, apply_configuration
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    StreamObject,
)

#: Dictionary keys that carry active content wherever they appear.
ACTIVE_KEYS = frozenset(
    {
        "/JS",
        "/JavaScript",
        "/AA",
        "/Launch",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/EF",
        "/RichMedia",
        "/RichMediaContent",
        "/XFA",
    }
)
#: Names (action types, object types, annotation subtypes) that are active content.
ACTIVE_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/Launch",
        "/SubmitForm",
        "/ImportData",
        "/GoToE",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/FileAttachment",
        "/RichMedia",
        "/XFA",
    }
)

#: Objects in the cross-reference table (a scan has tens, a long handout thousands).
MAX_OBJECTS = 50_000
#: Pages the document declares.
MAX_PAGES = 2_000
#: Bytes all streams but images may decode to, together (and each one at most).
MAX_DECODED = 50 * 1024 * 1024
#: Seconds the whole check may take.
MAX_SECONDS = 10.0
#: Containers (dictionaries, arrays) walked inside one object.
MAX_NODES_PER_OBJECT = 200_000


class PdfProblem(Exception):
    """Why a PDF is refused: ``active`` (active content) or ``unreadable`` (damaged, bounded)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


@dataclass
class _Budget:
    deadline: float
    decoded: int = 0

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise PdfProblem("unreadable", "took too long")


def check_pdf(data: bytes) -> None:
    """Return if ``data`` is a readable PDF without active content; PdfProblem otherwise."""
    budget = _Budget(deadline=time.monotonic() + MAX_SECONDS)
    limits = {
        "zlib_maximum_output_length": MAX_DECODED,
        "lzw_maximum_output_length": MAX_DECODED,
        "run_length_maximum_output_length": MAX_DECODED,
        "brotli_maximum_output_length": MAX_DECODED,
        "jbig2_maximum_output_length": MAX_DECODED,
        "array_based_stream_maximum_output_length": MAX_DECODED,
        "maximum_declared_stream_length": MAX_DECODED,
        "page_tree_maximum_entries": MAX_PAGES,
    }
    try:
        with apply_configuration(**limits):
            _check(data, budget)
    except PdfProblem:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to read the file is a refusal
        # pypdf raises its own errors (LimitReachedError past a bound among them), but a
        # crafted file also reaches ValueError, KeyError, struct.error, RecursionError ...
        raise PdfProblem("unreadable", f"{type(exc).__name__}: {exc}") from exc


def _check(data: bytes, budget: _Budget) -> None:
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        raise PdfProblem("unreadable", "protected by a password")
    numbers = _object_numbers(reader)
    if len(numbers) > MAX_OBJECTS:
        raise PdfProblem("unreadable", f"{len(numbers)} objects")
    _declared_pages(reader)
    _walk(reader.trailer, reader, budget, "trailer")
    for idnum, generation in numbers:
        budget.tick()
        obj = reader.get_object(IndirectObject(idnum, generation, reader))
        _walk(obj, reader, budget, f"object {idnum}")


def _object_numbers(reader: PdfReader) -> list[tuple[int, int]]:
    """Every object the cross-reference data lists: in the file body and in object streams."""
    seen: dict[int, int] = {}
    for generation, table in reader.xref.items():
        for idnum in table:
            seen.setdefault(idnum, generation)
    for idnum in reader.xref_objStm:
        seen.setdefault(idnum, 0)
    return sorted(seen.items())


def _declared_pages(reader: PdfReader) -> None:
    root = reader.trailer.get("/Root")
    root = root.get_object() if root is not None else None
    pages = root.get("/Pages") if isinstance(root, DictionaryObject) else None
    pages = pages.get_object() if pages is not None else None
    count = pages.get("/Count", 0) if isinstance(pages, DictionaryObject) else 0
    count = count.get_object() if isinstance(count, IndirectObject) else count
    if not isinstance(count, int) or count > MAX_PAGES:
        raise PdfProblem("unreadable", f"{count} pages declared")


def _walk(obj: object, reader: PdfReader, budget: _Budget, where: str) -> None:
    """Every dictionary and array inside ``obj`` (not following references: each referenced
    object is walked on its own), refused at the first sign of active content."""
    stack = [obj]
    nodes = 0
    while stack:
        item = stack.pop()
        nodes += 1
        if nodes > MAX_NODES_PER_OBJECT:
            raise PdfProblem("unreadable", f"{where}: too deeply built")
        if isinstance(item, NameObject):
            if item in ACTIVE_NAMES:
                raise PdfProblem("active", f"{where}: {item}")
        elif isinstance(item, DictionaryObject):
            for key, value in item.items():
                if key in ACTIVE_KEYS:
                    raise PdfProblem("active", f"{where}: {key}")
                if key == "/OpenAction" and _is_action(value):
                    raise PdfProblem("active", f"{where}: /OpenAction")
                stack.append(value)
            if isinstance(item, StreamObject):
                _decode(item, budget, where)
        elif isinstance(item, ArrayObject):
            stack.extend(item)


def _is_action(value: object) -> bool:
    """An /OpenAction is a destination (an array: a page and a view) or an action (a dictionary)."""
    if isinstance(value, IndirectObject):
        value = value.get_object()
    return isinstance(value, DictionaryObject)


def _decode(stream: StreamObject, budget: _Budget, where: str) -> None:
    """Let the library decode a stream through its filter chain, within the budget.

    Images are pixels (they cannot act) and a large scan legitimately decodes to
    hundreds of megabytes, so they are not decoded; every other stream is.
    """
    if stream.get("/Subtype") == "/Image":
        return
    budget.tick()
    decoded = len(stream.get_data())
    budget.decoded += decoded
    if budget.decoded > MAX_DECODED:
        raise PdfProblem("unreadable", f"{where}: streams decode to more than {MAX_DECODED} bytes")
