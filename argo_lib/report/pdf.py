"""PDF copies of notebook reports, printed by headless Chromium from the report's own HTML.

The PDF is the HTML report (:func:`argo_lib.report.notebook.render_html`) printed on paper by
the same browser engine a reader uses, so both show the same numbers, charts and layout. The
report's print style sheet (``argo_lib/templates/argo/argo.css``, ``@media print``) keeps every
table row, chart, card and banner whole on one page, repeats table headers on each page and
keeps headings with what follows; Chromium adds the page numbers in the footer.

Chromium is Debian's ``chromium`` package (``apt-get install chromium``), driven through the
``playwright`` package; playwright's own browser downloads are not used.

Examples
--------
>>> paper_for_country("US"), paper_for_country("ca"), paper_for_country("FR"), paper_for_country(None)
('Letter', 'Letter', 'A4', 'A4')
"""

from __future__ import annotations

import html
import os
import shutil
from pathlib import Path

from argo_lib.errors import RunError, UsageError

__all__ = [
    "PAPERS",
    "ChromiumMissingError",
    "PdfError",
    "find_chromium",
    "html_to_pdf",
    "paper_for_country",
]

PAPERS = ("A4", "Letter")
"""Paper sizes a report can be printed on."""

LETTER_COUNTRIES = frozenset({"US", "CA", "MX", "PH", "CL", "CO", "VE", "GT", "CR", "PR"})
"""ISO 3166 countries whose offices print on US Letter; the rest of the world uses A4."""

MARGIN = {"top": "14mm", "bottom": "16mm", "left": "14mm", "right": "14mm"}
"""Page margins; the bottom one holds the footer with the page numbers."""

TIMEOUT_S = 60.0
"""Longest wait for Chromium to load and print a report [s]."""

_CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

_INSTALL_HINT = (
    "install Debian's Chromium (`apt-get install chromium`; .ci/run does this in CI) or pass "
    "the browser's path as executable=...; or leave out --pdf"
)

# Wait until every image is decoded and every font loaded, so nothing prints half-drawn.
_READY_JS = """async () => {
  await Promise.all(Array.from(document.images).map(i => i.decode().catch(() => null)));
  await document.fonts.ready;
  return Array.from(document.images).filter(i => i.naturalWidth === 0).length;
}"""


class ChromiumMissingError(UsageError):
    """No Chromium to print with, or no playwright to drive it (exit 2): install it."""


class PdfError(RunError):
    """Chromium failed to load or print the report (exit 1); the HTML is unaffected."""


def paper_for_country(country: str | None) -> str:
    """The paper a site's readers print on: US Letter in North America, else A4.

    Parameters
    ----------
    country : str or None
        ISO 3166 alpha-2 country code of the site (``SiteSettings.country``); None: A4.

    Returns
    -------
    str
        ``"Letter"`` or ``"A4"`` (one of :data:`PAPERS`).
    """
    return "Letter" if (country or "").strip().upper() in LETTER_COUNTRIES else "A4"


def find_chromium(executable: str | Path | None = None) -> str:
    """The Chromium binary to print with, checked before any work.

    Parameters
    ----------
    executable : str or pathlib.Path, optional
        A browser binary; default ``chromium`` (or ``chromium-browser``) on the ``PATH``.

    Returns
    -------
    str
        The binary's path.

    Raises
    ------
    ChromiumMissingError
        If the binary or the ``playwright`` package is missing; the message says how to
        install it.
    """
    if executable is not None:
        path = Path(executable).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ChromiumMissingError(
                f"cannot print the PDF: {path} is not an executable browser; {_INSTALL_HINT}"
            )
        found: str | None = str(path)
    else:
        found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise ChromiumMissingError(
            f"cannot print the PDF: no Chromium on the PATH (chromium); {_INSTALL_HINT}"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise ChromiumMissingError(
            "cannot print the PDF: the playwright package is missing; install the workbook's "
            "requirements (`pip install -r requirements.txt`)"
        ) from None
    return found


def _footer_template(footer: str) -> str:
    text = html.escape(footer)
    return (
        "<div style='width:100%; margin:0 14mm; font:8px Arial, sans-serif; color:#5f6b76; "
        "display:flex; justify-content:space-between;'>"
        f"<span>{text}</span>"
        "<span>Page <span class='pageNumber'></span> of <span class='totalPages'></span></span>"
        "</div>"
    )


def html_to_pdf(
    html_path: str | Path,
    pdf_path: str | Path | None = None,
    *,
    paper: str = "A4",
    footer: str = "Argo Energy Solutions",
    executable: str | Path | None = None,
    timeout_s: float = TIMEOUT_S,
) -> Path:
    """Print an HTML report to PDF with headless Chromium, as a reader's browser would.

    The page is loaded from its ``file://`` URL and printed with the ``print`` media rules of
    its style sheet, after every image is decoded; backgrounds (the status banner's colour)
    are printed. The PDF is written beside its final name and put in place in one step.

    Parameters
    ----------
    html_path : str or pathlib.Path
        A self-contained HTML report (images embedded, as
        :func:`~argo_lib.report.notebook.render_html` writes).
    pdf_path : str or pathlib.Path, optional
        Output file; default beside the HTML with ``.pdf``.
    paper : {"A4", "Letter"}
        Paper size; :func:`paper_for_country` chooses it for a site.
    footer : str
        Text at the left of every page's footer; the right shows "Page n of N".
    executable : str or pathlib.Path, optional
        Browser binary; default ``chromium`` on the ``PATH`` (:func:`find_chromium`).
    timeout_s : float
        Longest wait for loading and printing [s].

    Returns
    -------
    pathlib.Path
        The PDF file.

    Raises
    ------
    argo_lib.errors.UsageError
        An unknown paper size or a missing HTML file.
    ChromiumMissingError
        No Chromium or no playwright (the message says how to install it).
    PdfError
        Chromium failed, timed out or found a broken image.
    """
    if paper not in PAPERS:
        raise UsageError(f"paper must be one of {', '.join(PAPERS)}, got {paper!r}")
    source = Path(html_path).resolve()
    if not source.is_file():
        raise UsageError(f"cannot print {source} to PDF: the HTML file does not exist")
    target = Path(pdf_path) if pdf_path is not None else source.with_suffix(".pdf")
    browser_path = find_chromium(executable)
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    timeout_ms = timeout_s * 1000
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=browser_path, args=_CHROMIUM_ARGS, timeout=timeout_ms
            )
            try:
                page = browser.new_page()
                page.set_default_timeout(timeout_ms)
                page.goto(source.as_uri(), wait_until="load")
                broken = page.evaluate(_READY_JS)
                if broken:
                    raise PdfError(
                        f"cannot print {source.name} to PDF: {broken} of its images did not load"
                    )
                page.emulate_media(media="print")
                page.pdf(
                    path=str(tmp),
                    format=paper,
                    print_background=True,
                    margin={
                        "top": MARGIN["top"],
                        "right": MARGIN["right"],
                        "bottom": MARGIN["bottom"],
                        "left": MARGIN["left"],
                    },
                    display_header_footer=True,
                    header_template="<span></span>",
                    footer_template=_footer_template(footer),
                    outline=True,
                    tagged=True,
                )
            finally:
                browser.close()
    except PlaywrightError as exc:
        tmp.unlink(missing_ok=True)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PdfError(
            f"Chromium ({browser_path}) could not print {source.name} to PDF: {first}; "
            "run again, and check that the browser starts (`chromium --headless --version`)"
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, target)
    return target
