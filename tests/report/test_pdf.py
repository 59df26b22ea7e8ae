"""HTML reports printed to PDF by headless Chromium (argo_lib.report.pdf)."""

from __future__ import annotations

import base64
import io
import shutil

import pytest
from conftest import require_chromium
from pdfcheck import read_pdf

from argo_lib.errors import UsageError
from argo_lib.report import pdf
from argo_lib.report.notebook import TEMPLATES_DIR

A4_PT = (0.0, 0.0, 595.92, 842.88)  # Chromium's A4 media box [pt]
LETTER_PT = (0.0, 0.0, 612.0, 792.0)
ROWS = 120  # table rows: several pages of them


def _png(width: int, height: int, shade: int) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (11, 93, shade)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """A report in the house style: a banner, a long table and charts wider than the page."""
    css = (TEMPLATES_DIR / "argo" / "argo.css").read_text()
    rows = "".join(f"<tr><td>Meter {k}</td><td>{k * 1.5:.1f}</td></tr>" for k in range(ROWS))
    body = (
        "<header class='argo-brand'>Argo Energy Solutions</header><main class='argo-main'>"
        "<div class='argo-banner argo-banner--action_required'><strong>Action required</strong>"
        "Test Site</div><h2>Every meter</h2>"
        "<table class='dataframe'><thead><tr><th>Meter</th><th>Energy (kWh)</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
        + "".join(
            f"<div class='jp-RenderedImage jp-OutputArea-output'><img alt='Chart {k}' "
            f"src='data:image/png;base64,{_png(1400, 700, 90 + k)}' width='640'></div>"
            for k in range(3)
        )
        + "</main>"
    )
    path = tmp_path_factory.mktemp("pdf") / "report.html"
    path.write_text(
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{css}</style></head>"
        f"<body class='argo-report'>{body}</body></html>",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("paper", "box"), [("A4", A4_PT), ("Letter", LETTER_PT)], ids=["a4", "letter"]
)
def test_long_report_is_paged_without_cutting_rows_or_charts(report, tmp_path, paper, box):
    require_chromium()
    out = pdf.html_to_pdf(report, tmp_path / "report.pdf", paper=paper, footer="Test report")
    doc = read_pdf(out)
    assert 3 <= len(doc.pages) <= 8
    for page in doc.pages:
        assert page.media_box == pytest.approx(box, abs=1.0)
        assert f"Page {page.number} of {len(doc.pages)}" in page.text  # Chromium's footer
        assert "Test report" in page.text
    assert "Action required" in doc.pages[0].text and "Test Site" in doc.pages[0].text
    assert len(doc.rows) == ROWS and all(len(pages) == 1 for pages in doc.rows), doc.rows
    assert len(doc.figures) == 3 and all(len(pages) == 1 for pages in doc.figures)
    drawn = [image for page in doc.pages for image in page.images]
    assert len(drawn) == len(set(drawn)) == 3  # no chart drawn in two parts on two pages
    # the table header is printed again on each page the table continues on
    table_pages = sorted({p for pages in doc.rows for p in pages})
    assert len(table_pages) >= 2
    for number in table_pages:
        assert "MeterEnergy (kWh)" in doc.pages[number - 1].text
    assert not list(tmp_path.glob("*.tmp"))


def test_pdf_defaults_beside_the_html(report, tmp_path):
    require_chromium()
    copy = tmp_path / "copy.html"
    shutil.copy(report, copy)
    assert pdf.html_to_pdf(copy) == tmp_path / "copy.pdf"
    assert (tmp_path / "copy.pdf").read_bytes().startswith(b"%PDF-")


def test_missing_chromium_says_how_to_install_it(report, tmp_path, monkeypatch):
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    with pytest.raises(pdf.ChromiumMissingError, match=r"apt-get install chromium") as info:
        pdf.html_to_pdf(report, tmp_path / "report.pdf")
    assert info.value.exit_code == 2
    assert not list(tmp_path.iterdir())


def test_a_browser_path_that_is_not_a_program_is_refused(report, tmp_path):
    with pytest.raises(pdf.ChromiumMissingError, match="not an executable browser"):
        pdf.html_to_pdf(report, tmp_path / "r.pdf", executable=tmp_path / "nothing")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"paper": "A3"}, "paper must be one of A4, Letter"), ({}, "does not exist")],
    ids=["paper", "no-html"],
)
def test_bad_input_is_refused_before_chromium_starts(tmp_path, kwargs, message):
    html = tmp_path / "report.html"
    if kwargs:
        html.write_text("<p>x</p>")
    with pytest.raises(UsageError, match=message):
        pdf.html_to_pdf(html, **kwargs)


@pytest.mark.parametrize(
    ("country", "paper"),
    [("US", "Letter"), ("ca", "Letter"), ("DE", "A4"), ("GB", "A4"), (None, "A4")],
    ids=["us", "canada-lowercase", "germany", "uk", "unknown"],
)
def test_paper_follows_the_site_country(country, paper):
    assert pdf.paper_for_country(country) == paper
