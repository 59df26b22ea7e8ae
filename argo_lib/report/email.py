"""The brief's e-mail as a message: MIME parts, the ``.eml`` file and SMTP delivery.

:func:`build_email` wraps the bodies rendered by :mod:`argo_lib.render.email` into a message:
HTML with inline CID charts, a plain-text alternative and the full HTML report attached (and
its PDF copy, ``application/pdf``, when the run printed one).
:func:`check_mail_settings` tells, before any work, every setting that sending still needs;
:func:`send_email` delivers through SMTP (STARTTLS by default). This is the only module that
speaks SMTP; no message or error ever contains a password.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from argo_lib.errors import RunError, UsageError
from argo_lib.render.email import email_subject, render_email_bodies

if TYPE_CHECKING:
    from email.message import EmailMessage

    from argo_lib.config import Settings

__all__ = [
    "ATTACHMENT_TYPES",
    "EMAIL_HTML_LIMIT_BYTES",
    "EmailError",
    "MailSettingsError",
    "build_email",
    "check_mail_settings",
    "mask_password",
    "send_email",
    "write_eml",
]

EMAIL_HTML_LIMIT_BYTES = 102 * 1024
"""Gmail clips message bodies above about 102 KB; the brief's HTML body stays below."""

ATTACHMENT_TYPES = {".html": ("text", "html"), ".pdf": ("application", "pdf")}
"""MIME type of an attached file by its suffix; any other file is ``application/octet-stream``."""


class EmailError(RunError):
    """The e-mail could not be built or sent (exit 1); the message says why (never a secret)."""


class MailSettingsError(UsageError):
    """Sending was asked for but settings are missing (exit 2); the message lists them all."""


def mask_password(text: str, settings: Any) -> str:
    """``text`` with the SMTP password (if any) replaced by ``***``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> mask_password("login as bob:hunter2 failed", SimpleNamespace(smtp_password="hunter2"))
    'login as bob:*** failed'
    """
    secret = getattr(settings, "smtp_password", None)
    return text.replace(secret, "***") if secret else text


def check_mail_settings(settings: Any, *, recipients: Sequence[str]) -> None:
    """Check, before any work, that a message can be sent: every missing setting at once.

    Parameters
    ----------
    settings : argo_lib.config.Settings
        ``smtp_host``, ``mail_from`` (``SMTP_PORT`` has a default; user and password are
        optional, for relays without login).
    recipients : sequence of str
        The recipients the run would use (``--to``, ``MAIL_TO`` or the site file's).

    Raises
    ------
    MailSettingsError
        Naming every missing setting and where to set it.

    Examples
    --------
    >>> from argo_lib.config import Settings
    >>> check_mail_settings(Settings(), recipients=())
    Traceback (most recent call last):
    ...
    argo_lib.report.email.MailSettingsError: cannot send the e-mail: SMTP_HOST (the mail server), MAIL_FROM (the sender) and recipients (MAIL_TO, --to, or `recipients` in the site file) are not set; set them in the environment or .env
    """
    missing = []
    if not settings.smtp_host:
        missing.append("SMTP_HOST (the mail server)")
    if not settings.mail_from:
        missing.append("MAIL_FROM (the sender)")
    if not recipients:
        missing.append("recipients (MAIL_TO, --to, or `recipients` in the site file)")
    if missing:
        listed = ", ".join(missing[:-1]) + (" and " if len(missing) > 1 else "") + missing[-1]
        verb = "are" if len(missing) > 1 else "is"
        raise MailSettingsError(
            f"cannot send the e-mail: {listed} {verb} not set; set them in the environment or .env"
        )


def build_email(
    brief: Mapping[str, Any],
    *,
    sender: str,
    recipients: Sequence[str],
    charts: Mapping[str, bytes] | None = None,
    attachments: Mapping[str, bytes] | None = None,
) -> EmailMessage:
    """Build the brief e-mail: HTML body with inline CSS and CID charts, plain-text alternative.

    Parameters
    ----------
    brief : mapping
        The brief JSON document.
    sender : str
        From address.
    recipients : sequence of str
        To addresses; may be empty for a message that is only written to a file.
    charts : mapping, optional
        Chart name → PNG bytes; each becomes an inline ``image/png`` part referenced by
        ``cid:`` from the HTML body (no ``data:`` URLs, which many clients block).
    attachments : mapping, optional
        File name → bytes attached as files, in order: the full HTML report (``.html``,
        ``text/html``), its PDF copy (``.pdf``, ``application/pdf``); any other file is
        ``application/octet-stream`` (:data:`ATTACHMENT_TYPES`).

    Returns
    -------
    email.message.EmailMessage

    Raises
    ------
    MailSettingsError
        Without a sender.
    EmailError
        When the HTML body exceeds :data:`EMAIL_HTML_LIMIT_BYTES`.
    """
    import email.policy
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    if not sender:
        raise MailSettingsError("no sender: set MAIL_FROM in the environment or .env")
    cids = {name: make_msgid(domain="argo.brief")[1:-1] for name in (charts or {})}
    html, text = render_email_bodies(brief, charts=cids)
    size = len(html.encode("utf-8"))
    if size > EMAIL_HTML_LIMIT_BYTES:
        raise EmailError(
            f"the HTML body is {size / 1024:.0f} KB, above {EMAIL_HTML_LIMIT_BYTES // 1024} KB "
            "where mail clients clip it; list fewer items"
        )
    # Long lines are allowed up to RFC 5322's 998: folding at 78 splits the subject oddly.
    message = EmailMessage(policy=email.policy.default.clone(max_line_length=998))
    message["Subject"] = email_subject(brief)
    message["From"] = sender
    if recipients:
        message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="argo.brief")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    html_part = list(message.iter_parts())[1]  # multipart/alternative: text, then HTML
    for name, png in (charts or {}).items():
        html_part.add_related(
            png, maintype="image", subtype="png", cid=f"<{cids[name]}>", filename=f"{name}.png"
        )
    for filename, data in (attachments or {}).items():
        suffix = Path(filename).suffix.lower()
        maintype, subtype = ATTACHMENT_TYPES.get(suffix, ("application", "octet-stream"))
        if maintype == "text":
            message.add_attachment(data.decode("utf-8"), subtype=subtype, filename=filename)
        else:
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def write_eml(message: EmailMessage, path: str | Path) -> Path:
    """Write an e-mail message to an ``.eml`` file (atomically)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(bytes(message))
    os.replace(tmp, target)
    return target


def send_email(message: EmailMessage, settings: Settings) -> None:
    """Send a message through the SMTP server of the settings (STARTTLS or SSL as configured).

    Parameters
    ----------
    message : email.message.EmailMessage
    settings : argo_lib.config.Settings
        ``smtp_host``, ``smtp_port``, ``smtp_username``/``smtp_password`` (optional),
        ``smtp_starttls``, ``smtp_ssl``.

    Raises
    ------
    MailSettingsError
        If SMTP is not configured, the server refuses the login or offers no STARTTLS.
    EmailError
        If the server cannot be reached or refuses the message; the message names host and
        port and never the password.
    """
    import smtplib
    import ssl

    if not message.get("To"):
        raise MailSettingsError(
            "the message has no recipients: set MAIL_TO or the site's `recipients`"
        )
    if not settings.smtp_host:
        raise MailSettingsError(
            "SMTP is not configured: set SMTP_HOST (and SMTP_PORT) in the environment or .env"
        )
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    context = ssl.create_default_context()
    client: smtplib.SMTP
    try:
        if settings.smtp_ssl:
            client = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=30, context=context
            )
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
        with client:
            client.ehlo()
            if settings.smtp_starttls and not settings.smtp_ssl:
                if not client.has_extn("starttls"):
                    raise MailSettingsError(
                        f"{where} does not offer STARTTLS; set SMTP_STARTTLS=false only for a "
                        "trusted local relay"
                    )
                client.starttls(context=context)
                client.ehlo()
            if settings.smtp_username:
                client.login(settings.smtp_username, settings.smtp_password or "")
            client.send_message(message)
    except smtplib.SMTPAuthenticationError:
        raise MailSettingsError(
            f"{where} refused the SMTP login; check SMTP_USERNAME and SMTP_PASSWORD"
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        if isinstance(exc, EmailError):
            raise
        reason = mask_password(str(exc), settings)
        raise EmailError(
            f"sending through {where} failed: {type(exc).__name__}: {reason}"
        ) from None
