"""``argo brief --pdf``: the weekly brief's HTML printed on paper by headless Chromium."""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import types

import pytest
from conftest import prepare_golden_environment, require_chromium
from pdfcheck import read_pdf

from argo_lib import cli
from argo_lib.jobs.weekly_brief import ARTEFACTS, PDF
from argo_lib.report import pdf

LETTER_PT = (0.0, 0.0, 612.0, 792.0)  # the demo site is in the US: Letter [pt]
PAGES = range(5, 13)  # the demo week's brief fills 8 Letter pages; room for wording changes
PX_PER_MM = 96 / 25.4  # CSS pixels per millimetre


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """The operator's run of the demo week with a PDF: ``argo brief ... --pdf``."""
    require_chromium()
    folder = tmp_path_factory.mktemp("brief_pdf")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in prepare_golden_environment(folder).items():
            patch.setenv(name, value)
        assert cli.main(["brief", "--site", "23271", "--week", "2026-W47", "--pdf"]) == 0
    published = folder / "outputs" / "23271" / "2026-W47"
    return types.SimpleNamespace(
        folder=published,
        html=published / "weekly_brief.html",
        pdf=published / PDF,
        eml=published / "weekly_brief.eml",
        brief=json.loads((published / "weekly_brief.json").read_text()),
        doc=read_pdf(published / PDF),
    )


def test_pdf_is_published_with_the_other_files_on_letter_paper(printed):
    assert sorted(p.name for p in printed.folder.iterdir()) == sorted((*ARTEFACTS, PDF))
    assert [p.name for p in printed.folder.parent.iterdir()] == ["2026-W47"]
    assert len(printed.doc.pages) in PAGES
    for page in printed.doc.pages:
        assert page.media_box == pytest.approx(LETTER_PT, abs=1.0)


def test_pdf_shows_the_status_the_site_and_every_section(printed):
    text = printed.doc.text
    first = printed.doc.pages[0].text
    summary = printed.brief["summary"]
    assert "Action required" in first and summary["status"] == "action_required"
    assert "Wilson Center" in first and "2026-W47" in first
    assert summary["headline"][0] in first
    for heading in ("Executive summary", "Quick wins", "After-hours waste", "Demand spikes",
                    "Sensor and data health", "Data quality and parameters"):  # fmt: skip
        assert heading in text, heading
    total = len(printed.doc.pages)
    for page in printed.doc.pages:  # footer: the brief's title and the page number
        assert f"Page {page.number} of {total}" in page.text
        assert "Weekly energy brief: Wilson Center, 2026-W47" in page.text


def test_email_attaches_the_published_pdf_beside_the_html(printed):
    with printed.eml.open("rb") as f:
        message = email.message_from_binary_file(f, policy=email.policy.default)
    attached = {a.get_filename(): a for a in message.iter_attachments()}
    assert list(attached) == ["weekly_brief.html", PDF]
    assert attached["weekly_brief.html"].get_content_type() == "text/html"
    part = attached[PDF]
    assert part.get_content_type() == "application/pdf"
    assert part.get_content_disposition() == "attachment"
    data = part.get_content()
    assert data.startswith(b"%PDF-")
    assert data == printed.pdf.read_bytes()


def test_no_table_row_or_chart_is_split_across_pages(printed):
    doc = printed.doc
    assert len(doc.figures) == 4 and all(len(pages) == 1 for pages in doc.figures), doc.figures
    drawn = [image for page in doc.pages for image in page.images]
    assert len(drawn) == len(set(drawn)) == 4  # each chart drawn whole, on one page
    assert len(doc.rows) > 20 and all(len(pages) == 1 for pages in doc.rows), doc.rows


# each element that must not be cut, in the print layout at the page's printable width
_PRINT_LAYOUT_JS = """() => {
  const whole = 'img, tr, .argo-kpi, .argo-banner, .argo-win, .jp-RenderedImage';
  const items = Array.from(document.querySelectorAll(whole)).map(e => {
    const r = e.getBoundingClientRect(); const s = getComputedStyle(e);
    return {tag: e.tagName + '.' + e.className, height: r.height, right: r.right,
            avoid: s.breakInside}; });
  const tables = Array.from(document.querySelectorAll('table')).map(
    t => t.getBoundingClientRect().right);
  const headings = Array.from(document.querySelectorAll('h2, h3, .argo-banner')).map(
    h => getComputedStyle(h).breakAfter);
  const headers = Array.from(document.querySelectorAll('thead')).map(
    h => getComputedStyle(h).display);
  return {items, tables, headings, headers, width: document.documentElement.scrollWidth};
}"""


@pytest.mark.parametrize(("paper_mm"), [(215.9, 279.4), (210.0, 297.0)], ids=["letter", "a4"])
def test_print_layout_keeps_rows_charts_and_cards_whole_and_in_the_page(printed, paper_mm):
    from playwright.sync_api import sync_playwright

    margin = {side: float(value.removesuffix("mm")) for side, value in pdf.MARGIN.items()}
    width = round((paper_mm[0] - margin["left"] - margin["right"]) * PX_PER_MM)  # printable
    height = round((paper_mm[1] - margin["top"] - margin["bottom"]) * PX_PER_MM)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.emulate_media(media="print")
            page.goto(printed.html.as_uri())
            layout = page.evaluate(_PRINT_LAYOUT_JS)
        finally:
            browser.close()
    assert len(layout["items"]) > 40
    for item in layout["items"]:
        assert item["avoid"] == "avoid", item  # Chromium moves it whole to the next page...
        assert item["height"] < height, item  # ...which it can, as it fits on one page
        assert item["right"] <= width + 0.5, item  # and nothing is cut at the right edge
    assert all(right <= width + 0.5 for right in layout["tables"]), layout["tables"]
    assert layout["width"] <= width
    assert set(layout["headings"]) == {"avoid"}  # headings and the banner stay with what follows
    assert set(layout["headers"]) == {"table-header-group"}  # repeated on each page


def test_brief_without_chromium_says_how_to_install_it_before_any_work(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    monkeypatch.setenv("ARGO_OUTPUTS_DIR", str(tmp_path / "outputs"))
    monkeypatch.setenv("ARGO_SQLITE_PATH", str(tmp_path / "absent.sqlite"))
    monkeypatch.setenv("DATABASE_URL", "")
    status = cli.main(["brief", "--site", "23271", "--week", "2026-W47", "--pdf"])
    err = capsys.readouterr().err
    assert status == 2
    assert "no Chromium" in err and "apt-get install chromium" in err
    assert not list(tmp_path.iterdir())  # checked before the database, nothing written
