"""One look everywhere: the report's stylesheet and the e-mail take the theme's colours and words."""

from __future__ import annotations

import re

from argo_lib.render import theme
from argo_lib.render.email import TEMPLATES_DIR, email_subject, render_email_bodies

STYLESHEET = TEMPLATES_DIR.parent / "argo" / "argo.css"


def test_the_report_stylesheet_holds_the_theme():
    css = STYLESHEET.read_text()
    block = re.search(r"/\* theme:begin[^*]*\*/\n(.*?)/\* theme:end \*/", css, re.S)
    assert block is not None
    assert block.group(1) == theme.css_variables()
    # no colour of the theme's is written out anywhere else in the stylesheet
    rest = css.replace(block.group(0), "")
    assert not set(re.findall(r"#[0-9a-f]{6}", rest)) & set(theme.PALETTE.values())


def test_the_e_mail_says_and_colours_the_status_as_the_theme(demo_doc):
    html, text = render_email_bodies(demo_doc)
    status = demo_doc["summary"]["status"]
    assert theme.STATUS_LABELS[status] in html
    assert f"background:{theme.STATUS_COLORS[status]}" in html
    assert theme.STATUS_LABELS[status].upper() in text
    assert email_subject(demo_doc).startswith(f"[{theme.STATUS_LABELS[status]}]")
    templates = (TEMPLATES_DIR / "brief.html.j2").read_text()
    assert not re.findall(r"#[0-9a-f]{6}", templates.replace("#ffffff", ""))  # all from the theme
