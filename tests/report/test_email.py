"""The brief e-mail as a message: MIME parts, .eml, a local SMTP server, settings checked up front."""

from __future__ import annotations

import email
import email.policy
import re
import socket

import pytest

from argo_lib import config
from argo_lib.report import email as mail

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # enough of a PNG for MIME handling


def _parts(message):
    return {part.get_content_type(): part for part in message.walk()}


def test_email_structure_cid_images_and_size(demo_doc):
    message = mail.build_email(
        demo_doc,
        sender="brief@argo.test",
        recipients=["fm@site.test"],
        charts={"site_load": PNG, "after_hours": PNG},
        attachments={"weekly_brief.html": b"<html>report</html>"},
    )
    parsed = email.message_from_bytes(bytes(message), policy=email.policy.default)
    assert parsed["Subject"].startswith(
        "[Action required] Wilson Center weekly energy brief, 16 Nov"
    )
    html_part = parsed.get_body(preferencelist=("html",))
    text_part = parsed.get_body(preferencelist=("plain",))
    html = html_part.get_content()
    text = text_part.get_content()
    assert len(html.encode()) < mail.EMAIL_HTML_LIMIT_BYTES
    assert "<script" not in html and "data:" not in html
    # Every cid: reference resolves to an inline image part, and every image is referenced.
    cids = set(re.findall(r'src="cid:([^"]+)"', html))
    images = {
        p["Content-ID"].strip("<>"): p for p in parsed.walk() if p.get_content_type() == "image/png"
    }
    assert cids == set(images) and len(cids) == 2
    assert all(p.get_content() == PNG for p in images.values())
    # The numbers in the mail are the brief's numbers.
    waste = demo_doc["sections"]["afterHoursWaste"]["summary"]["totalExcessKwh"]
    assert f"{waste:,.1f} kWh" in text and f"{waste:,.1f} kWh" in html
    assert demo_doc["sections"]["quickWins"][0]["title"] in text
    attachment = next(parsed.iter_attachments())
    assert attachment.get_filename() == "weekly_brief.html"


def test_attachments_carry_their_mime_type(demo_doc):
    report_pdf = b"%PDF-1.7\n" + bytes(range(256)) + b"\n%%EOF\n"  # binary, as a PDF is
    message = mail.build_email(
        demo_doc,
        sender="brief@argo.test",
        recipients=["fm@site.test"],
        attachments={
            "weekly_brief.html": b"<html>report</html>",
            "weekly_brief.pdf": report_pdf,
            "data.bin": b"\x00\x01",
        },
    )
    parsed = email.message_from_bytes(bytes(message), policy=email.policy.default)
    got = [(a.get_filename(), a.get_content_type()) for a in parsed.iter_attachments()]
    assert got == [
        ("weekly_brief.html", "text/html"),
        ("weekly_brief.pdf", "application/pdf"),
        ("data.bin", "application/octet-stream"),
    ]
    attached = {a.get_filename(): a.get_content() for a in parsed.iter_attachments()}
    assert attached["weekly_brief.pdf"] == report_pdf  # byte for byte through base64
    assert attached["data.bin"] == b"\x00\x01"


def test_send_to_local_smtp_and_parse_back(demo_doc, smtp_server, tmp_path):
    port, sink = smtp_server
    message = mail.build_email(demo_doc, sender="brief@argo.test", recipients=["fm@site.test", "cfo@site.test"],
                                 charts={"site_load": PNG})  # fmt: skip
    eml = mail.write_eml(message, tmp_path / "weekly_brief.eml")
    settings = config.Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False)
    mail.send_email(message, settings)
    assert len(sink.messages) == 1
    sender, rcpts, content = sink.messages[0]
    assert sender == "brief@argo.test" and rcpts == ["fm@site.test", "cfo@site.test"]
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    assert parsed["Subject"] == message["Subject"]
    received = parsed.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")
    assert received == message.get_body(preferencelist=("html",)).get_content()  # SMTP sends CRLF
    assert (
        email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)["Message-ID"]
        == message["Message-ID"]
    )


def test_starttls_required_unless_disabled(demo_doc, smtp_server):
    port, _ = smtp_server
    message = mail.build_email(demo_doc, sender="a@b.test", recipients=["c@d.test"])
    with pytest.raises(mail.MailSettingsError, match="does not offer STARTTLS"):
        mail.send_email(
            message, config.Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=True)
        )


def test_smtp_errors_never_show_the_password(demo_doc):
    message = mail.build_email(demo_doc, sender="a@b.test", recipients=["c@d.test"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens
    settings = config.Settings(
        smtp_host="127.0.0.1", smtp_port=port, smtp_password="pw-do-not-print", smtp_starttls=False
    )
    with pytest.raises(mail.EmailError, match=f"127.0.0.1:{port}") as info:
        mail.send_email(message, settings)
    assert "pw-do-not-print" not in str(info.value)
    with pytest.raises(mail.MailSettingsError, match="no recipients"):
        mail.send_email(mail.build_email(demo_doc, sender="a@b.test", recipients=[]), settings)
    with pytest.raises(mail.MailSettingsError, match="SMTP_HOST"):
        mail.send_email(message, config.Settings())


@pytest.mark.parametrize(
    ("settings", "recipients", "missing"),
    [
        ({}, (), ["SMTP_HOST", "MAIL_FROM", "recipients"]),
        ({"smtp_host": "mail.test"}, (), ["MAIL_FROM", "recipients"]),
        ({"smtp_host": "mail.test", "mail_from": "a@b.test"}, (), ["recipients"]),
        ({"mail_from": "a@b.test"}, ("fm@site.test",), ["SMTP_HOST"]),
    ],
    ids=["nothing", "host-only", "no-recipients", "no-host"],
)
def test_mail_settings_are_checked_all_at_once(settings, recipients, missing):
    with pytest.raises(mail.MailSettingsError) as info:
        mail.check_mail_settings(config.Settings(**settings), recipients=recipients)
    message = str(info.value)
    assert all(name in message for name in missing)
    assert info.value.exit_code == 2
    everything = {"smtp_host": "mail.test", "mail_from": "a@b.test"}
    mail.check_mail_settings(config.Settings(**everything), recipients=("fm@site.test",))
