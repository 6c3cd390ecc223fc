"""A strict reader of the page count of plainly written PDFs, leaving the rest to pypdf.

It knows one shape only: ``%PDF-`` at the start, one classic cross-reference table
at the end with no encryption and no earlier revision, and a page tree of plain
dictionary objects. It reads the tail of the file and the objects of the page tree,
nothing else. Anything outside that shape, or beyond its limits, makes it answer
None and the caller asks pypdf. What it does accept, pypdf reads the same way and
counts the same pages from.
"""

from __future__ import annotations

import logging
import os
import re
from bisect import bisect_right
from pathlib import Path
from typing import BinaryIO, NamedTuple, TypeAlias

logger = logging.getLogger(__name__)

HEADER = b"%PDF-"
TAIL_BYTES = 4096
MAX_XREF_ENTRIES = 50_000
MAX_XREF_BYTES = 20 * MAX_XREF_ENTRIES + 64 * 1024
MAX_OBJECT_BYTES = 32 * 1024
MAX_TREE_BYTES = 1024 * 1024
MAX_TREE_NODES = 2_000
# pypdf refuses page trees deeper than 100 and more than 1000 comments in a row:
# staying far below both keeps every file we accept one that pypdf reads.
MAX_TREE_DEPTH = 32
MAX_NESTING = 32
MAX_COMMENTS = 64
# What pages inherit from the /Pages nodes above them, as pypdf walks the tree.
INHERITED_KEYS = (b"Resources", b"MediaBox", b"CropBox", b"Rotate")

_EOL = rb"(?:\r\n|\r|\n)"
_TAIL = re.compile(
    rb"startxref" + _EOL + rb"(\d{1,10})" + _EOL + rb"%%EOF" + _EOL + rb"?\Z"
)
_XREF = re.compile(rb"xref" + _EOL)
_SUBSECTION = re.compile(rb"(\d{1,10}) (\d{1,10}) ?" + _EOL)
_ENTRIES = re.compile(rb"(?:\d{10} \d{5} [fn](?: \r| \n|\r\n))*")
_IN_USE = re.compile(rb"(\d{10}) \d{5} n")
_ENTRY_BYTES = 20
_TRAILER = re.compile(rb"[\t\n\f\r ]*trailer")
_SPACE = re.compile(rb"[\t\n\f\r ]*")
_OBJECT_HEAD = re.compile(rb"(\d{1,10}) (\d{1,5}) obj")
# ``endobj`` ends the object: a dictionary followed by ``stream`` is a stream.
_END_OBJECT = re.compile(rb"[\t\n\f\r ]*endobj(?:[\t\n\f\r %]|\Z)")

# One token after optional white space. Atoms must end at white space or a
# delimiter; a reference is tried before a number, as pypdf does.
_DELIMITED = rb"(?=[\t\n\f\r ()<>\[\]{}/%])"
_ATOMS = (
    rb"/(?P<name>[^\x00-\x20\x7f-\xff()<>\[\]{}/%]{0,127})",
    rb"(?P<number>\d{1,10}) (?P<generation>\d{1,5}) R",
    rb"(?P<real>[+-]?(?:\d{1,24}\.\d{0,24}|\.\d{1,24}))",
    rb"(?P<integer>[+-]?\d{1,32})",
    rb"(?P<keyword>true|false|null)",
)
_TOKEN = re.compile(
    rb"[\t\n\f\r ]*(?:(?P<comment>%[^\r\n]*[\r\n])|"
    + b"|".join(atom + _DELIMITED for atom in _ATOMS)
    + rb"|(?P<open><<|\[)|(?P<close>>>|\])"
    + rb"|(?P<hex><[0-9A-Fa-f\t\n\f\r ]*>)|(?P<string>\())"
)
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_BAD_NAME_ESCAPE = re.compile(rb"#(?![0-9A-Fa-f]{2})")
_STRING_STOP = re.compile(rb"[()\\]")
_OPEN_PAREN, _BACKSLASH = b"(\\"


class _Ref(NamedTuple):
    """An indirect reference ``number generation R``."""

    number: int
    generation: int


# Names are bytes, without their slash; strings, reals, booleans and null are
# None, since counting pages never looks inside them.
_Value: TypeAlias = "bytes | int | _Ref | list[_Value] | dict[bytes, _Value] | None"
_Dict: TypeAlias = "dict[bytes, _Value]"


class _NotCertain(Exception):
    """The file leaves the shape this reader vouches for; pypdf must decide."""


def quick_page_count(path: Path, *, max_pages: int) -> int | None:
    """Count the pages of a plainly written PDF without pypdf.

    Args:
        path: The file to read; only its tail and its page tree are read.
        max_pages: Above this many pages the answer is None, for pypdf to refuse.

    Returns:
        The number of pages, which pypdf would count too; None when the file is
        not of the plain shape this reader accepts, and pypdf must open it.

    Raises:
        OSError: The file cannot be opened or read.
    """
    with path.open("rb", buffering=0) as handle:
        try:
            return _count_pages(_Source(handle), max_pages)
        except _NotCertain as exc:
            logger.debug("Left a PDF to pypdf: %s", exc)
            return None


def _count_pages(source: _Source, max_pages: int) -> int:
    """Follow the trailer to the catalog, then count the leaves of the page tree."""
    if source.read(0, len(HEADER)) != HEADER:
        raise _NotCertain("no %PDF- header at the start")
    xref_at, xref_end = _find_xref(source)
    table = _XrefTable(source.read(xref_at, xref_end), xref_at)
    for key in (b"Encrypt", b"Prev", b"XRefStm"):
        if key in table.trailer:
            raise _NotCertain(f"the trailer has /{key.decode()}")

    objects = _Objects(source, table)
    catalog = objects.load_dict(_ref(table.trailer.get(b"Root")))
    if catalog.get(b"Type") != b"Catalog":
        raise _NotCertain("the root is no /Catalog")
    return _PageTree(objects, max_pages).count(_ref(catalog.get(b"Pages")), depth=0)


def _find_xref(source: _Source) -> tuple[int, int]:
    """Where the last cross-reference section starts, and where ``startxref`` is."""
    keyword = source.tail.rfind(b"startxref")
    tail = _TAIL.match(source.tail, keyword) if keyword > 0 else None
    # pypdf reads the offset's line and the one above, which must hold the keyword.
    if tail is None or source.tail[keyword - 1] not in b"\r\n":
        raise _NotCertain("no startxref and %%EOF at the end")
    xref_at, xref_end = int(tail[1]), source.tail_start + keyword
    if not 0 < xref_at < xref_end or xref_end - xref_at > MAX_XREF_BYTES:
        raise _NotCertain("startxref points outside the file or too far back")
    # pypdf rebuilds the table when the byte before it is not white space.
    if source.read(xref_at - 1, xref_at) not in (b"\r", b"\n", b" ", b"\t"):
        raise _NotCertain("startxref does not point at the start of a line")
    return xref_at, xref_end


def _ref(value: _Value) -> _Ref:
    """``value`` as an indirect reference, or refuse the file."""
    if not isinstance(value, _Ref):
        raise _NotCertain("an indirect reference was expected")
    return value


class _Source:
    """An open PDF file whose last bytes (all of a small file) are held in memory."""

    def __init__(self, handle: BinaryIO) -> None:
        self._handle = handle
        size = handle.seek(0, os.SEEK_END)
        self.tail_start = max(0, size - TAIL_BYTES)
        handle.seek(self.tail_start)
        self.tail = handle.read(size - self.tail_start)
        if len(self.tail) != size - self.tail_start:
            raise _NotCertain("the file changed while it was read")

    def read(self, start: int, end: int) -> bytes:
        """The bytes from ``start`` to ``end``, from memory when they are there."""
        if start >= self.tail_start:
            data = self.tail[start - self.tail_start : end - self.tail_start]
        else:
            self._handle.seek(start)
            data = self._handle.read(end - start)
        if len(data) != end - start:
            raise _NotCertain("the file is shorter than its offsets say")
        return data


class _Subsection(NamedTuple):
    """A run of consecutive object numbers in the cross-reference table."""

    first: int
    size: int
    entries_at: int


class _XrefTable:
    """A classic cross-reference table and its trailer, checked entry by entry."""

    def __init__(self, data: bytes, offset: int) -> None:
        """Read ``data``: the table at ``offset``, up to the line of ``startxref``.

        Raises:
            _NotCertain: Anything but well-formed subsections numbered from 0,
                whose objects all lie before the table, then a trailer.
        """
        self._data = data
        self.subsections, entries_end = self._read_subsections()
        keyword = _TRAILER.match(data, entries_end)
        if keyword is None:
            raise _NotCertain("no trailer after the xref entries")
        self.trailer, end = _read_dictionary(data, keyword.end())
        if _SPACE.fullmatch(data, end) is None:
            raise _NotCertain("more than white space after the trailer")

        # pypdf reads the header of every object in use, not only of those we
        # need, and some offsets past the body make it fail.
        starts = self._in_use_offsets()
        if starts and not len(HEADER) <= starts[0] <= starts[-1] < offset:
            raise _NotCertain("an object in use lies outside the body")
        self._object_ends = [*starts, offset]

    def _read_subsections(self) -> tuple[list[_Subsection], int]:
        """The subsections, each with all its entries well formed, and their end."""
        head = _XREF.match(self._data)
        if head is None:
            raise _NotCertain("no classic xref table at startxref")
        subsections: list[_Subsection] = []
        position, next_number = head.end(), 0
        while (line := _SUBSECTION.match(self._data, position)) is not None:
            first, count = int(line[1]), int(line[2])
            end = line.end() + count * _ENTRY_BYTES
            # pypdf renumbers a table that does not start at 0, and keeps the
            # first of two entries for one number: refuse both.
            in_order = first >= next_number if subsections else first == 0
            if not in_order or end > len(self._data):
                raise _NotCertain("xref subsections out of order or cut short")
            if _ENTRIES.fullmatch(self._data, line.end(), end) is None:
                raise _NotCertain("a malformed xref entry")
            subsections.append(_Subsection(first, count, line.end()))
            position, next_number = end, first + count
        if not subsections:
            raise _NotCertain("an xref table without subsections")
        return subsections, position

    def _in_use_offsets(self) -> list[int]:
        """The sorted offsets of the objects in use, to tell where each one ends."""
        offsets = [
            int(found)
            for section in self.subsections
            for found in _IN_USE.findall(
                self._data,
                section.entries_at,
                section.entries_at + section.size * _ENTRY_BYTES,
            )
        ]
        return sorted(offsets)

    def extent_of(self, ref: _Ref) -> tuple[int, int]:
        """The bytes of object ``ref``: from its offset to the next object's.

        Raises:
            _NotCertain: The object is not in use with that generation.
        """
        for section in self.subsections:
            if section.first <= ref.number < section.first + section.size:
                at = section.entries_at + (ref.number - section.first) * _ENTRY_BYTES
                entry = self._data[at : at + _ENTRY_BYTES]
                break
        else:
            raise _NotCertain(f"object {ref.number} is not in the xref table")
        if entry[17:18] != b"n" or int(entry[11:16]) != ref.generation:
            raise _NotCertain(f"object {ref.number} is free or of another generation")
        start = int(entry[:10])
        return start, self._object_ends[bisect_right(self._object_ends, start)]


class _Objects:
    """The plain objects of one file, read within a byte budget."""

    def __init__(self, source: _Source, table: _XrefTable) -> None:
        self._source = source
        self._table = table
        self._budget = MAX_TREE_BYTES

    def load(self, ref: _Ref) -> _Value:
        """Object ``ref``, which must be one direct object and no stream.

        Raises:
            _NotCertain: It is anything else, or the budget is spent.
        """
        start, end = self._table.extent_of(ref)
        end = min(end, start + MAX_OBJECT_BYTES)
        self._budget -= end - start
        if self._budget < 0:
            raise _NotCertain("the page tree is too large to read quickly")

        data = self._source.read(start, end)
        head = _OBJECT_HEAD.match(data)
        if head is None or _Ref(int(head[1]), int(head[2])) != ref:
            raise _NotCertain(f"no header of object {ref.number} at its offset")
        value, value_end = _read_value(data, head.end())
        if _END_OBJECT.match(data, value_end) is None:
            raise _NotCertain(f"object {ref.number} is more than one object")
        return value

    def load_dict(self, ref: _Ref) -> _Dict:
        """Object ``ref``, which must be a dictionary and no stream."""
        value = self.load(ref)
        if not isinstance(value, dict):
            raise _NotCertain(f"object {ref.number} is no dictionary")
        return value


class _PageTree:
    """A walk of the page tree that counts its leaves and trusts no /Count."""

    def __init__(self, objects: _Objects, max_pages: int) -> None:
        self._objects = objects
        self._max_pages = max_pages
        self._leaves = 0
        self._seen: set[_Ref] = set()
        self._inherited: set[_Ref] = set()

    def count(self, ref: _Ref, *, depth: int) -> int:
        """The leaves under node ``ref``, which sits ``depth`` levels below the root.

        Raises:
            _NotCertain: A node is reached twice, is no /Pages or /Page
                dictionary, has a /Count other than its leaves, or a limit is hit.
        """
        node = self._visit(ref, depth)
        if node.get(b"Type") == b"Page":
            self._leaves += 1
            if self._leaves > self._max_pages:
                raise _NotCertain("more pages than allowed, for pypdf to refuse")
            return 1
        kids = node.get(b"Kids")
        if node.get(b"Type") != b"Pages" or not isinstance(kids, list):
            raise _NotCertain("a page tree node is no /Pages with /Kids")

        self._check_inherited(node)
        leaves = sum(self.count(_ref(kid), depth=depth + 1) for kid in kids)
        if node.get(b"Count") != leaves:
            raise _NotCertain("a /Count differs from the pages under it")
        return leaves

    def _check_inherited(self, node: _Dict) -> None:
        """Read what pypdf reads of a /Pages node besides its kids: the values
        its pages inherit, which fail pypdf's count when they do not parse."""
        for key in INHERITED_KEYS:
            value = node.get(key)
            if isinstance(value, _Ref) and value not in self._inherited:
                self._inherited.add(value)
                self._objects.load(value)

    def _visit(self, ref: _Ref, depth: int) -> _Dict:
        """Load a node not seen before, within the depth and node limits."""
        if ref in self._seen:
            raise _NotCertain("a page tree node is reached twice")
        self._seen.add(ref)
        if depth > MAX_TREE_DEPTH or len(self._seen) > MAX_TREE_NODES:
            raise _NotCertain("the page tree is too deep or too large")
        return self._objects.load_dict(ref)


def _read_dictionary(data: bytes, position: int) -> tuple[_Dict, int]:
    """The dictionary at ``position``, as :func:`_read_value` reads it."""
    value, end = _read_value(data, position)
    if not isinstance(value, dict):
        raise _NotCertain("a dictionary was expected")
    return value, end


def _read_value(data: bytes, position: int) -> tuple[_Value, int]:
    """The object after white space and comments at ``position``, and its end.

    One token is matched at a time and open containers are kept on a stack, so
    the work is linear in the bytes and nothing recurses.

    Raises:
        _NotCertain: Anything but strictly written direct objects, a repeated
            key, more than ``MAX_NESTING`` levels or ``MAX_COMMENTS`` comments.
    """
    stack: list[_Dict | list[_Value]] = []
    keys: list[bytes | None] = []
    comments = 0
    while (token := _TOKEN.match(data, position)) is not None:
        position, kind = token.end(), token.lastgroup
        value: _Value = None
        if kind == "comment":
            comments += 1
            if comments > MAX_COMMENTS:
                raise _NotCertain("too many comments")
            continue
        if kind == "open":
            _open(stack, keys, is_dict=token["open"] == b"<<")
            continue
        if kind == "close":
            if not stack:
                break
            value = _close(stack, keys, is_dict=token["close"] == b">>")
        elif kind == "string":
            position = _string_end(data, token.start(kind))
        else:
            value = _atom(token, kind)
        if not stack:
            return value, position
        _place(stack[-1], keys, value)
    raise _NotCertain(f"unexpected bytes at {position}")


def _open(
    stack: list[_Dict | list[_Value]], keys: list[bytes | None], *, is_dict: bool
) -> None:
    """Start a dictionary or an array inside the innermost container."""
    if len(stack) == MAX_NESTING:
        raise _NotCertain("objects nested too deeply")
    stack.append({} if is_dict else [])
    keys.append(None)


def _close(
    stack: list[_Dict | list[_Value]], keys: list[bytes | None], *, is_dict: bool
) -> _Dict | list[_Value]:
    """End the innermost container, which must be of the kind closed."""
    closed = stack.pop()
    if keys.pop() is not None or isinstance(closed, dict) != is_dict:
        raise _NotCertain("a key without a value, or a bracket mismatched")
    return closed


def _place(
    container: _Dict | list[_Value], keys: list[bytes | None], value: _Value
) -> None:
    """Add ``value`` to the innermost container, as a key or as a value."""
    if isinstance(container, list):
        container.append(value)
        return
    key = keys[-1]
    if key is None:
        # Only names are held as bytes, so this says the key is a name.
        if not isinstance(value, bytes):
            raise _NotCertain("a dictionary key that is no name")
        keys[-1] = value
    elif key in container:
        raise _NotCertain("a key repeated in a dictionary")
    else:
        container[key] = value
        keys[-1] = None


def _atom(token: re.Match[bytes], kind: str | None) -> _Value:
    """The value of a name, reference or number; None for any other atom."""
    if kind == "name":
        return _decode_name(token["name"])
    if kind == "generation":
        return _Ref(int(token["number"]), int(token["generation"]))
    if kind == "integer":
        return int(token["integer"])
    return None


def _decode_name(raw: bytes) -> bytes:
    """A name with its ``#xx`` escapes decoded, as pypdf compares names."""
    if b"#" not in raw:
        return raw
    if _BAD_NAME_ESCAPE.search(raw):
        raise _NotCertain("a name with a broken # escape")
    return _NAME_ESCAPE.sub(lambda code: bytes([int(code[1], 16)]), raw)


def _string_end(data: bytes, start: int) -> int:
    """Where the literal string opening at ``start`` ends.

    Parentheses must balance; a backslash escapes the byte after it, which is
    all that matters to where the string ends.
    """
    depth, position = 0, start
    while (stop := _STRING_STOP.search(data, position)) is not None:
        position = stop.end()
        char = data[stop.start()]
        if char == _BACKSLASH:
            position += 1
        elif char == _OPEN_PAREN:
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return position
    raise _NotCertain("a literal string without its end")
