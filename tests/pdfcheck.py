"""Read what a test needs from a PDF Chromium printed, with the standard library only.

No PDF package is installed (pypdf, poppler): Chromium's PDFs (Skia) are plain enough to read
directly. Objects are uncompressed ``N 0 obj ... endobj`` entries, with no object streams;
content streams are Flate-compressed; text is drawn with Type0 fonts whose ``/ToUnicode``
CMaps give each glyph's characters; ``page.pdf(tagged=True)`` adds a structure tree, whose
elements (``/TR`` table rows, ``/Figure`` images) name the pages their content is on.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

_OBJ = re.compile(rb"^(\d+) 0 obj\b", re.M)
_REF = re.compile(rb"(\d+) 0 R")


@dataclass
class PdfPage:
    """One page: its size [pt], its text and the image objects it draws."""

    number: int
    media_box: tuple[float, ...]
    text: str
    images: set[int] = field(default_factory=set)


@dataclass
class PdfDocument:
    """The pages, and the pages each tagged table row and figure is drawn on."""

    pages: list[PdfPage]
    rows: list[set[int]]  # one set of page numbers per body table row (not a header row)
    figures: list[set[int]]  # one set of page numbers per /Figure

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.pages)


def _dict_entry(body: bytes, key: bytes) -> bytes | None:
    """The ``<< ... >>`` value of ``/key`` in an object (one level of nesting)."""
    m = re.search(rb"/" + key + rb"\s*<<(.*?)>>", body, re.S)
    return m.group(1) if m else None


def _objects(data: bytes) -> dict[int, bytes]:
    """Each object's text, from its ``N 0 obj`` line to the next object's."""
    starts = list(_OBJ.finditer(data))
    ends = [m.start() for m in starts[1:]] + [len(data)]
    return {int(m.group(1)): data[m.end() : end] for m, end in zip(starts, ends, strict=True)}


def _stream(body: bytes) -> bytes:
    """An object's stream data (``/Length`` bytes), decompressed."""
    head, sep, rest = body.partition(b"stream")
    length = re.search(rb"/Length\s+(\d+)\b", head)
    assert sep and length is not None, "no stream of direct /Length in object"
    data = rest.lstrip(b"\r")[1:][: int(length.group(1))]  # after the end-of-line
    return zlib.decompress(data) if b"/FlateDecode" in head else data


def _cmap(data: bytes) -> dict[int, str]:
    """Glyph id to text, from a ToUnicode CMap's bfchar and bfrange sections."""
    out: dict[int, str] = {}

    def text(hexa: bytes) -> str:
        return bytes.fromhex(hexa.decode()).decode("utf-16-be", errors="replace")

    for section in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", section):
            out[int(src, 16)] = text(dst)
    for section in re.findall(rb"beginbfrange(.*?)endbfrange", data, re.S):
        for lo, hi, dst in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]+>|\[[^\]]*\])", section
        ):
            start, end = int(lo, 16), int(hi, 16)
            if dst.startswith(b"["):
                for k, item in enumerate(re.findall(rb"<([0-9A-Fa-f]+)>", dst)):
                    out[start + k] = text(item)
            else:
                first = int(dst[1:-1], 16)
                for k in range(end - start + 1):
                    out[start + k] = chr(first + k)
    return out


def _page_text(content: bytes, fonts: dict[bytes, dict[int, str]]) -> str:
    """The text a content stream draws, its runs joined (Skia often draws a glyph per run)."""
    runs: list[str] = []
    cmap: dict[int, str] = {}
    token = re.compile(rb"/(\w+)\s+[\d.]+\s+Tf|(<[0-9A-Fa-f]*>)\s*Tj|\[((?:[^\]])*)\]\s*TJ")
    for m in token.finditer(content):
        if m.group(1) is not None:
            cmap = fonts.get(m.group(1), {})
            continue
        strings = re.findall(rb"<([0-9A-Fa-f]*)>", m.group(2) or m.group(3))
        glyphs = b"".join(bytes.fromhex(s.decode()) for s in strings)
        runs.append(
            "".join(cmap.get(int.from_bytes(glyphs[i : i + 2], "big"), "?")
                    for i in range(0, len(glyphs) - 1, 2))
        )  # fmt: skip
    return "".join(runs)


def read_pdf(path: str | Path) -> PdfDocument:
    """Pages, text, drawn images and tagged rows and figures of a Chromium PDF."""
    data = Path(path).read_bytes()
    assert data.startswith(b"%PDF-"), "not a PDF file"
    objs = _objects(data)
    root = next(b for b in objs.values() if re.search(rb"/Type\s*/Pages\b", b) and b"/Kids" in b)
    kids = re.search(rb"/Kids\s*\[(.*?)\]", root, re.S)
    assert kids is not None
    page_ids = [int(n) for n in _REF.findall(kids.group(1))]
    page_number = {pid: k + 1 for k, pid in enumerate(page_ids)}
    cmaps: dict[int, dict[int, str]] = {}
    pages = []
    for pid in page_ids:
        body = objs[pid]
        box = re.search(rb"/MediaBox\s*\[([^\]]*)\]", body)
        assert box is not None
        fonts: dict[bytes, dict[int, str]] = {}
        for name, ref in re.findall(rb"/(\w+)\s+(\d+) 0 R", _dict_entry(body, b"Font") or b""):
            to_unicode = _REF.search(objs[int(ref)].split(b"/ToUnicode", 1)[-1])
            if b"/ToUnicode" in objs[int(ref)] and to_unicode:
                tu = int(to_unicode.group(1))
                fonts[name] = cmaps.setdefault(tu, _cmap(_stream(objs[tu])))
        contents = re.search(rb"/Contents\s*(\[[^\]]*\]|\d+ 0 R)", body)
        assert contents is not None
        stream = b"\n".join(_stream(objs[int(n)]) for n in _REF.findall(contents.group(1)))
        images = {
            int(ref)
            for ref in _REF.findall(_dict_entry(body, b"XObject") or b"")
            if b"/Subtype /Image" in objs[int(ref)]
        }
        pages.append(
            PdfPage(
                number=page_number[pid],
                media_box=tuple(float(x) for x in box.group(1).split()),
                text=_page_text(stream, fonts),
                images=images,
            )
        )

    def pages_of(oid: int, seen: set[int]) -> set[int]:
        """Pages of a structure element's content: its /Pg and those of its descendants."""
        if oid in seen or oid not in objs:
            return set()
        seen.add(oid)
        body = objs[oid]
        found = {page_number[int(n)] for n in re.findall(rb"/Pg\s+(\d+) 0 R", body)
                 if int(n) in page_number}  # fmt: skip
        kids = re.search(rb"/K\s*(\[.*?\]|\d+ 0 R)", body, re.S)
        if kids:
            for ref in _REF.findall(kids.group(1)):
                if b"/Type /StructElem" in objs.get(int(ref), b"") or b"/MCR" in objs.get(
                    int(ref), b""
                ):
                    found |= pages_of(int(ref), seen)
        return found

    def is_header_row(body: bytes) -> bool:
        """A row of header cells only: Chromium repeats it on each page of its table."""
        kids = re.search(rb"/K\s*\[(.*?)\]", body, re.S)
        cells = [objs.get(int(n), b"") for n in _REF.findall(kids.group(1) if kids else b"")]
        return bool(cells) and all(re.search(rb"/S\s*/TH\b", c) for c in cells)

    rows = [
        pages_of(oid, set())
        for oid, body in objs.items()
        if re.search(rb"/S\s*/TR\b", body) and not is_header_row(body)
    ]
    figures = [pages_of(oid, set()) for oid, body in objs.items()
               if re.search(rb"/S\s*/Figure\b", body)]  # fmt: skip
    return PdfDocument(pages=pages, rows=rows, figures=figures)
