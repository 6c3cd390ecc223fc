"""The quick page count of plainly written PDFs, and the fallback to pypdf."""

from __future__ import annotations

import io
import random
import re
from collections.abc import Callable
from pathlib import Path

import pypdfium2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader, PdfWriter

from bot.convert import (
    MAX_PDF_PAGES,
    CorruptFile,
    EncryptedPdf,
    FileKind,
    TooManyPages,
    count_pages,
    to_printable,
)
from bot.convert.pdf import write_selection
from bot.convert.pdf_structure import MAX_TREE_DEPTH, quick_page_count
from bot.convert.text import write_text_pdf
from tests.convert.conftest import build_blank_pdf, build_pdf
from tests.security.corpus import CORPUS

PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"
CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
ENTRY_ENDS = {b"\n": b" \n", b"\r\n": b"\r\n", b"\r": b" \r"}


def assemble(
    objects: list[bytes], *, trailer: bytes = b"", eol: bytes = b"\n"
) -> bytes:
    """A PDF of ``objects``, numbered from 1, behind one classic xref table."""
    out = bytearray(b"%PDF-1.7" + eol + b"%\xe2\xe3\xcf\xd3" + eol)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj" % number + eol + body + eol + b"endobj" + eol
    xref = len(out)
    entry_end = ENTRY_ENDS[eol]
    out += b"xref" + eol + b"0 %d" % (len(objects) + 1) + eol
    out += b"0000000000 65535 f" + entry_end
    out += b"".join(b"%010d 00000 n" % offset + entry_end for offset in offsets)
    out += b"trailer" + eol + b"<< /Size %d /Root 1 0 R " % (len(objects) + 1)
    out += trailer + b">>" + eol
    return bytes(out + b"startxref" + eol + b"%d" % xref + eol + b"%%EOF" + eol)


def flat_tree(pages: int, *, count: int | None = None, page: bytes = PAGE) -> bytes:
    """A catalog (1), one /Pages node (2) and ``pages`` leaves (3 on)."""
    kids = b" ".join(b"%d 0 R" % number for number in range(3, pages + 3))
    pages_node = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        kids,
        pages if count is None else count,
    )
    return assemble([CATALOG, pages_node, *[page] * pages])


def nested_tree(eol: bytes = b"\n") -> bytes:
    """Three pages under a root with one leaf and one /Pages node of two."""
    return assemble(
        [
            CATALOG,
            b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 3 >>",
            b"<< /Type /Pages /Parent 2 0 R /Kids [5 0 R 6 0 R] /Count 2 >>",
            PAGE,
            PAGE,
            PAGE,
        ],
        eol=eol,
    )


def inherited_tree(resources: bytes = b"<</Font<</F1 6 0 R>>>>") -> bytes:
    """Two pages that inherit indirect /Resources and /Rotate, as office suites
    write them, without spaces."""
    return assemble(
        [
            b"<</Type/Catalog/Pages 2 0 R/OpenAction[3 0 R/XYZ null null 0]>>",
            b"<</Type/Pages/Resources 5 0 R/Rotate 7 0 R/Kids[3 0 R 4 0 R]/Count 2>>",
            b"<</Type/Page/Parent 2 0 R/Contents 8 0 R>>",
            b"<</Type/Page/Parent 2 0 R/Resources 5 0 R>>",
            resources,
            b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
            b"90",
        ]
    )


def pypdf_count(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data), strict=False).pages)


def quick(tmp_path: Path, data: bytes) -> int | None:
    path = tmp_path / "sent.pdf"
    path.write_bytes(data)
    return quick_page_count(path, max_pages=MAX_PDF_PAGES)


def _pillow_pdf(path: Path) -> Path:
    frames = [Image.new("RGB", (40, 30), colour) for colour in ("red", "teal")]
    frames[0].save(path, "PDF", save_all=True, append_images=frames[1:])
    return path


def _pdfium_pdf(path: Path) -> Path:
    document = pypdfium2.PdfDocument.new()
    for _ in range(4):
        document.new_page(595, 842)
    document.save(path)
    return path


def _cloned_pdf(path: Path) -> Path:
    writer = PdfWriter(clone_from=build_pdf(path.with_suffix(".src.pdf"), 3))
    writer.add_blank_page(595, 842)
    writer.write(path)
    return path


def _text_pdf(path: Path) -> Path:
    return write_text_pdf("line\n" * 200, path.parent, paper="ps_a4")


def _two_up_pdf(path: Path) -> Path:
    src = build_pdf(path.with_suffix(".src.pdf"), 5)
    return write_selection(src, path.parent, pages=None, nup=2, paper="ps_a4")[0]


PRODUCERS: dict[str, Callable[[Path], Path]] = {
    "fpdf2, 1 page": lambda path: build_pdf(path, 1),
    "fpdf2, 3 pages": lambda path: build_pdf(path, 3),
    "fpdf2, 50 pages": lambda path: build_pdf(path, 50),
    "pypdf, 1 blank page": lambda path: build_blank_pdf(path, 1),
    "pypdf, 500 blank pages": lambda path: build_blank_pdf(path, MAX_PDF_PAGES),
    "pypdf, cloned with a blank page": _cloned_pdf,
    "pypdf, 2-up sheets": _two_up_pdf,
    "Pillow, 2 images": _pillow_pdf,
    "pdfium, CRLF lines": _pdfium_pdf,
    "our text layout": _text_pdf,
}


@pytest.mark.parametrize("producer", list(PRODUCERS))
def test_quick_count_agrees_with_pypdf_on_files_of_common_producers(
    tmp_path: Path, producer: str
) -> None:
    path = PRODUCERS[producer](tmp_path / "made.pdf")

    count = quick_page_count(path, max_pages=MAX_PDF_PAGES)

    assert count is not None
    assert count == pypdf_count(path.read_bytes())


@pytest.mark.parametrize("eol", list(ENTRY_ENDS))
def test_quick_count_walks_nested_page_trees_with_any_line_end(
    tmp_path: Path, eol: bytes
) -> None:
    data = nested_tree(eol)

    assert quick(tmp_path, data) == pypdf_count(data) == 3


@pytest.mark.parametrize(
    "page",
    [
        b"<< /Type /Page /T (a >> b \\) (nested (twice)) ]) /MediaBox [0 0 9 9] >>",
        b"<< /Type /Page % a comment >> here\n /ID <0aFF 12> /Rotate 90 >>",
        b"<< /Type /Pag#65 /Resources << /Font << /F1 << /Type /Font >> >> >> >>",
        b"<</Type/Page/Annots[<</Rect[1.5 -2 .5 +3]/F true/P null>>]>>",
    ],
    ids=["strings", "comments and hex", "escaped name", "no spaces"],
)
def test_quick_count_reads_pages_written_in_any_plain_syntax(
    tmp_path: Path, page: bytes
) -> None:
    data = flat_tree(2, page=page)

    assert quick(tmp_path, data) == pypdf_count(data) == 2


def test_quick_count_reads_what_pages_inherit_as_pypdf_does(
    tmp_path: Path,
) -> None:
    data = inherited_tree()

    assert quick(tmp_path, data) == pypdf_count(data) == 2


def test_quick_count_reads_a_large_file_by_its_tail(tmp_path: Path) -> None:
    padding = random.Random(0).randbytes(4_000_000)
    stream = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(padding), padding)
    data = assemble(
        [CATALOG, b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>", stream, PAGE]
    )

    assert quick(tmp_path, data) == pypdf_count(data) == 1


def _xref_stream_pdf() -> bytes:
    """A PDF whose cross-references are a stream object, as PDF 1.5 allows."""
    objects = [CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE]
    out = bytearray(b"%PDF-1.7\n")
    rows = [b"\x00\x00\x00\xff"]
    for number, body in enumerate(objects, start=1):
        rows.append(b"\x01" + len(out).to_bytes(2, "big") + b"\x00")
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    rows.append(b"\x01" + xref.to_bytes(2, "big") + b"\x00")
    table = b"".join(rows)
    out += b"4 0 obj\n<< /Type /XRef /Size 5 /W [1 2 1] /Root 1 0 R /Length %d >>\n" % (
        len(table)
    )
    out += b"stream\n" + table + b"\nendstream\nendobj\n"
    return bytes(out + b"startxref\n%d\n%%%%EOF\n" % xref)


def _incremental_update() -> bytes:
    """A second revision appended to a file, with /Prev pointing at the first."""
    first = flat_tree(1)
    previous = int(first.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    update = b"7 0 obj\n<< /Producer (edit) >>\nendobj\n"
    xref = len(first) + len(update)
    update += b"xref\n0 1\n0000000000 65535 f \n7 1\n%010d 00000 n \n" % len(first)
    update += b"trailer\n<< /Size 8 /Root 1 0 R /Info 7 0 R /Prev %d >>\n" % previous
    return first + update + b"startxref\n%d\n%%%%EOF\n" % xref


def _encrypted(user_password: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(flat_tree(2)))
    writer.encrypt(user_password=user_password, owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _objects_one_byte_later() -> bytes:
    """Every object a byte after where the table says: pypdf searches for them."""
    head, tail = flat_tree(2).split(b"xref\n", 1)
    for offset in sorted(set(re.findall(rb"(\d{10}) 00000 n", tail)), reverse=True):
        tail = tail.replace(offset, b"%010d" % (int(offset) + 1))
    return head + b"xref\n" + tail


def _startxref_one_byte_early() -> bytes:
    """The table a byte after where ``startxref`` says: pypdf looks nearby."""
    moved = b"startxref\n%d" % (
        int(re.findall(rb"startxref\n(\d+)", flat_tree(1))[0]) - 1
    )
    return re.sub(rb"startxref\n\d+", moved, flat_tree(1))


FALLBACKS: dict[str, Callable[[], bytes]] = {
    "xref stream": _xref_stream_pdf,
    "incremental update": _incremental_update,
    "password to open": lambda: _encrypted("secret"),
    "owner password only": lambda: _encrypted(""),
    "/Count that lies": lambda: flat_tree(2, count=1),
    "objects one byte off": _objects_one_byte_later,
    "startxref one byte off": _startxref_one_byte_early,
    "junk before the header": lambda: b"junk" + flat_tree(1),
    "junk after %%EOF": lambda: flat_tree(1) + b"junk\n",
    "table not numbered from 0": lambda: flat_tree(1).replace(b"xref\n0 ", b"xref\n1 "),
    "/Kids given indirectly": lambda: assemble(
        [CATALOG, b"<< /Type /Pages /Kids 4 0 R /Count 1 >>", PAGE, b"[3 0 R]"]
    ),
    "page that is a stream": lambda: flat_tree(
        1, page=b"<< /Type /Page /Length 1 >>\nstream\nx\nendstream"
    ),
    "inherited value that does not parse": lambda: inherited_tree(b"<</A )>>"),
    "/Encrypt written with an escape": lambda: assemble(
        [CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE],
        trailer=b"/Encr#79pt << /Filter /Standard >> ",
    ),
    "key given twice": lambda: flat_tree(1, page=b"<< /Type /Page /Type /Page >>"),
    "string left open": lambda: flat_tree(1, page=b"<< /Type /Page /T (a) ) >>"),
    "hex string of other bytes": lambda: flat_tree(
        1, page=b"<< /T <zz> /Type /Page >>"
    ),
}


@pytest.mark.parametrize("case", list(FALLBACKS))
def test_quick_count_leaves_other_shapes_to_pypdf(tmp_path: Path, case: str) -> None:
    data = FALLBACKS[case]()

    assert quick(tmp_path, data) is None


def test_quick_count_leaves_updates_written_by_pypdf_to_pypdf(tmp_path: Path) -> None:
    base = build_blank_pdf(tmp_path / "base.pdf", 2)
    writer = PdfWriter(base, incremental=True)
    writer.add_blank_page(595, 842)
    writer.write(tmp_path / "updated.pdf")

    count = quick_page_count(tmp_path / "updated.pdf", max_pages=MAX_PDF_PAGES)

    assert count is None
    assert len(PdfReader(tmp_path / "updated.pdf").pages) == 3


def test_quick_count_refuses_a_page_tree_loop(tmp_path: Path) -> None:
    looped = assemble(
        [
            CATALOG,
            b"<< /Type /Pages /Kids [3 0 R] /Count 2 >>",
            b"<< /Type /Pages /Kids [4 0 R 2 0 R] /Count 2 >>",
            PAGE,
        ]
    )

    assert quick(tmp_path, looped) is None


def test_quick_count_refuses_a_page_listed_twice(tmp_path: Path) -> None:
    shared = assemble(
        [CATALOG, b"<< /Type /Pages /Kids [3 0 R 3 0 R] /Count 2 >>", PAGE]
    )

    assert quick(tmp_path, shared) is None
    assert pypdf_count(shared) == 2


def test_quick_count_leaves_long_documents_for_pypdf_to_refuse(
    tmp_path: Path,
) -> None:
    data = flat_tree(MAX_PDF_PAGES + 1)

    assert quick(tmp_path, data) is None


def test_quick_count_leaves_deep_page_trees_to_pypdf(tmp_path: Path) -> None:
    depth = MAX_TREE_DEPTH + 2
    chain = [
        b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % (number + 1)
        for number in range(2, depth + 2)
    ]
    data = assemble([CATALOG, *chain, PAGE])

    assert quick(tmp_path, data) is None
    assert pypdf_count(data) == 1


@pytest.mark.parametrize(
    "page",
    [
        b"<< /Type /Page /A " + b"[" * 50_000 + b"]" * 50_000 + b" >>",
        b"<< /Type /Page /T " + b"(" * 100_000 + b" >>",
        b"<< /Type /Page " + b"%\n" * 1_000 + b">>",
        b"<< /Type /Page /A [" + b"0 " * 100_000 + b"] >>",
    ],
    ids=["deep arrays", "string never closed", "many comments", "huge array"],
)
def test_quick_count_gives_up_on_costly_objects(tmp_path: Path, page: bytes) -> None:
    data = flat_tree(1, page=page)

    assert quick(tmp_path, data) is None


@pytest.mark.parametrize("fraction", [0.0, 0.2, 0.5, 0.8, 0.99])
def test_quick_count_leaves_truncated_files_to_pypdf(
    tmp_path: Path, fraction: float
) -> None:
    data = build_pdf(tmp_path / "whole.pdf", 3).read_bytes()

    assert quick(tmp_path, data[: int(len(data) * fraction)]) is None


@pytest.mark.parametrize("case", list(CORPUS))
def test_quick_count_counts_no_hostile_file(tmp_path: Path, case: str) -> None:
    build, name, _phrase = CORPUS[case]
    path = build(tmp_path / name)

    assert quick_page_count(path, max_pages=MAX_PDF_PAGES) is None


def _seeds() -> list[bytes]:
    """Small valid files of several producers and syntaxes, to damage."""
    pdfium = io.BytesIO()
    document = pypdfium2.PdfDocument.new()
    document.new_page(100, 100)
    document.save(pdfium)
    writer = PdfWriter()
    for _ in range(2):
        writer.add_blank_page(100, 100)
    blank = io.BytesIO()
    writer.write(blank)
    odd = flat_tree(1, page=b"<</Type/Page/T(a>>\\)(b))/H<0A>%c\n/N/A#42>>")
    return [nested_tree(), inherited_tree(), odd, pdfium.getvalue(), blank.getvalue()]


SYNTAX_BYTES = list(b" \n\r\t\x00\x0c()<>[]{}/%#\\R0159.-+ntfoe")
damage = st.fixed_dictionaries(
    {
        "seed": st.sampled_from(_seeds()),
        "edits": st.lists(
            st.tuples(
                st.floats(0.0, 1.0, exclude_max=True),
                st.sampled_from(["replace", "replace", "insert", "delete"]),
                st.sampled_from(SYNTAX_BYTES) | st.integers(0, 255),
            ),
            min_size=1,
            max_size=4,
        ),
        "keep": st.one_of(st.just(1.0), st.floats(0.0, 1.0)),
    }
)


def _damaged(seed: bytes, edits: list[tuple[float, str, int]], keep: float) -> bytes:
    data = bytearray(seed)
    for where, action, byte in edits:
        at = int(where * len(data))
        if action == "replace":
            data[at] = byte
        elif action == "insert":
            data.insert(at, byte)
        else:
            del data[at]
    return bytes(data[: int(len(data) * keep)])


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case=damage)
def test_quick_count_of_damaged_files_is_none_or_what_pypdf_counts(
    tmp_path: Path, case: dict[str, object]
) -> None:
    data = _damaged(**case)  # type: ignore[arg-type]

    count = quick(tmp_path, data)

    if count is not None:
        assert pypdf_count(data) == count


async def test_plain_pdf_is_printed_with_its_quick_count(
    inbox: Path, work: Path
) -> None:
    src = inbox / "tree.pdf"
    src.write_bytes(nested_tree())

    result = await to_printable(
        src, work, kind=FileKind.PDF, mode="document", paper="ps_a4"
    )

    assert (result.path, result.page_count) == (src, 3)


async def test_pdf_left_to_pypdf_is_printed_with_its_count(
    inbox: Path, work: Path
) -> None:
    src = inbox / "streamed.pdf"
    src.write_bytes(_xref_stream_pdf())

    result = await to_printable(
        src, work, kind=FileKind.PDF, mode="document", paper="ps_a4"
    )

    assert (result.path, result.page_count) == (src, 1)


def test_count_pages_counts_the_leaves_when_count_lies(inbox: Path) -> None:
    src = inbox / "liar.pdf"
    src.write_bytes(flat_tree(3, count=1))

    assert count_pages(src) == 3


async def test_plain_pdf_without_pages_is_corrupt(inbox: Path, work: Path) -> None:
    src = inbox / "empty.pdf"
    src.write_bytes(flat_tree(0))

    with pytest.raises(CorruptFile):
        await to_printable(src, work, kind=FileKind.PDF, mode="document", paper="ps_a4")


async def test_plain_pdf_over_the_page_limit_is_refused(
    inbox: Path, work: Path
) -> None:
    src = inbox / "long.pdf"
    src.write_bytes(flat_tree(MAX_PDF_PAGES + 1))

    with pytest.raises(TooManyPages):
        await to_printable(src, work, kind=FileKind.PDF, mode="document", paper="ps_a4")


async def test_encrypted_pdf_still_needs_its_password(inbox: Path, work: Path) -> None:
    src = inbox / "locked.pdf"
    src.write_bytes(_encrypted("secret"))

    with pytest.raises(EncryptedPdf):
        await to_printable(src, work, kind=FileKind.PDF, mode="document", paper="ps_a4")
