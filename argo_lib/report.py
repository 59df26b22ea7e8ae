"""The one run path of notebooks: checked parameters, papermill, nbconvert HTML.

This is the only module that uses papermill and nbconvert. :func:`run_notebook` checks the
parameters against the notebook's ``parameters`` cell before any work (papermill itself only
warns about unknown names), executes the notebook headlessly and writes the executed notebook
atomically: a failed run leaves ``<name>.failed.ipynb`` for diagnosis and never a file that
looks like a finished run. :func:`render_html` renders an executed notebook without code with
the branded ``argo`` template, self-contained (no scripts, no external URLs).
"""

from __future__ import annotations

import ast
import difflib
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from argo_lib.config import PROJECT_ROOT
from argo_lib.errors import RunError, UsageError

__all__ = [
    "NOTEBOOKS_DIR",
    "EmailError",
    "NotebookRunError",
    "ParameterError",
    "build_email",
    "email_subject",
    "render_email_bodies",
    "send_email",
    "write_eml",
    "check_parameters",
    "load_parameter_set",
    "notebook_parameters",
    "render_html",
    "run_notebook",
]

logger = logging.getLogger(__name__)

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


class ParameterError(UsageError):
    """A notebook parameter is unknown or of the wrong type; the message says how to fix it."""


class NotebookRunError(RunError):
    """A notebook failed while running; the message names the cell error and the saved notebook."""


_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "dict": (dict,),
    "list": (list, tuple),
}


def notebook_parameters(notebook: str | Path) -> dict[str, dict[str, Any]]:
    """The parameters a notebook declares in its ``parameters`` cell.

    Parameters
    ----------
    notebook : str or pathlib.Path
        The source notebook.

    Returns
    -------
    dict
        Name → ``{"type": str, "default": object, "help": str}``, in cell order; ``type`` is the
        annotation (``str``, ``int``, ``float``, ``bool``, ``dict``, ``list``).

    Raises
    ------
    ParameterError
        If the notebook has no cell tagged ``parameters``.
    """
    import papermill

    path = Path(notebook)
    if not path.is_file():
        raise FileNotFoundError(f"notebook {path} not found")
    found = papermill.inspect_notebook(str(path))
    if not found:
        raise ParameterError(f"{path.name} has no cell tagged 'parameters'")
    result = {}
    for name, info in found.items():
        try:
            default = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError):
            default = info["default"]
        result[name] = {
            "type": info["inferred_type_name"],
            "default": default,
            "help": info["help"],
        }
    return result


def check_parameters(notebook: str | Path, parameters: Mapping[str, Any]) -> dict[str, Any]:
    """Check parameter names and types against a notebook's ``parameters`` cell.

    Parameters
    ----------
    notebook : str or pathlib.Path
        The source notebook.
    parameters : mapping
        Values to inject; names must be declared by the notebook.

    Returns
    -------
    dict
        The parameters, with integers given for ``float`` parameters converted to float.

    Raises
    ------
    ParameterError
        Naming every unknown parameter (with close matches) and every value of the wrong type.
    """
    declared = notebook_parameters(notebook)
    problems = []
    checked: dict[str, Any] = {}
    for name, value in parameters.items():
        if name not in declared:
            close = difflib.get_close_matches(name, list(declared), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"unknown parameter {name!r}{hint}")
            continue
        kind = declared[name]["type"]
        allowed = _TYPES.get(kind)
        bad_bool = isinstance(value, bool) and kind in ("int", "float")
        if allowed is not None and (bad_bool or not isinstance(value, allowed)):
            problems.append(
                f"parameter {name!r} must be {kind}, got {type(value).__name__} {value!r}"
            )
            continue
        checked[name] = float(value) if kind == "float" else value
    if problems:
        listing = ", ".join(f"{n}: {d['type']}" for n, d in declared.items())
        raise ParameterError(
            f"{Path(notebook).name}: " + "; ".join(problems) + f". Its parameters are: {listing}."
        )
    return checked


def load_parameter_set(path: str | Path) -> dict[str, Any]:
    """Read a parameter set (``params/<set>.yaml``): a mapping of parameter names to values.

    Raises
    ------
    ParameterError
        If the file is not a YAML mapping with string keys.
    """
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ParameterError(f"{file}: not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise ParameterError(f"{file}: a parameter set must be a mapping of names to values")
    return data


def run_notebook(
    notebook: str | Path,
    output_path: str | Path,
    *,
    parameters: Mapping[str, Any] | None = None,
    kernel_name: str = "python3",
    timeout_s: int = 600,
    cwd: str | Path | None = None,
) -> Path:
    """Execute a notebook headlessly with checked parameters.

    Parameters
    ----------
    notebook : str or pathlib.Path
        The source notebook (a name such as ``"weekly_brief"`` means ``notebooks/<name>.ipynb``).
    output_path : str or pathlib.Path
        Where the executed notebook goes (folders are created).
    parameters : mapping, optional
        Parameter values; checked with :func:`check_parameters` first.
    kernel_name : str
        Jupyter kernel; ``python3`` is the environment papermill runs in.
    timeout_s : int
        Longest time one cell may run [s].
    cwd : str or pathlib.Path, optional
        Working folder of the kernel; default the notebook's folder.

    Returns
    -------
    pathlib.Path
        The executed notebook.

    Raises
    ------
    ParameterError
        Before anything runs, for unknown or mistyped parameters.
    NotebookRunError
        If a cell raised; the executed notebook is kept as ``<output>.failed.ipynb``.
    """
    import papermill

    source = _resolve_notebook(notebook)
    checked = check_parameters(source, parameters or {})
    output = Path(output_path)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.stem + ".partial.ipynb")
    failed = output.with_name(output.stem + ".failed.ipynb")
    failed.unlink(missing_ok=True)
    try:
        papermill.execute_notebook(
            str(source),
            str(partial),
            parameters=checked,
            kernel_name=kernel_name,
            progress_bar=False,
            log_output=False,
            cwd=str(cwd or source.parent),
            execution_timeout=timeout_s,
            # The kernel's own start/stop chatter (loopback transport notes, the interrupt at
            # shutdown) is not for operators; cell errors still come back as NotebookRunError.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
    except papermill.PapermillExecutionError as exc:
        os.replace(partial, failed)
        raise NotebookRunError(
            f"{source.name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}. "
            f"The executed notebook is saved as {failed}."
        ) from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, output)
    return output


def _resolve_notebook(notebook: str | Path) -> Path:
    path = Path(notebook)
    if path.suffix != ".ipynb" and not path.exists():
        path = NOTEBOOKS_DIR / f"{path.name}.ipynb"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in NOTEBOOKS_DIR.glob("*.ipynb")))
        raise FileNotFoundError(f"notebook {notebook} not found; notebooks: {known}")
    return path


def render_html(
    executed: str | Path, html_path: str | Path | None = None, *, title: str | None = None
) -> Path:
    """Render an executed notebook to self-contained HTML without code, with the argo template.

    Parameters
    ----------
    executed : str or pathlib.Path
        The executed notebook.
    html_path : str or pathlib.Path, optional
        Output file; default beside the notebook with ``.html``.
    title : str, optional
        Document title; default the notebook's first heading.

    Returns
    -------
    pathlib.Path
        The HTML file. Images are embedded as data URIs; it loads nothing from the network.
    """
    import nbformat
    from nbconvert import HTMLExporter

    source = Path(executed)
    target = Path(html_path) if html_path is not None else source.with_suffix(".html")
    nb = nbformat.read(source, as_version=4)
    if title:
        nb.metadata["title"] = title
    elif "title" not in nb.metadata:
        nb.metadata["title"] = _first_heading(nb) or source.stem
    exporter = HTMLExporter(
        template_name="argo",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    body, _ = exporter.from_notebook_node(nb)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(body, encoding="utf-8")
    os.replace(tmp, target)
    return target


def _first_heading(nb) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None


# --------------------------------------------------------------------------------------------
# E-mail
# --------------------------------------------------------------------------------------------

EMAIL_HTML_LIMIT_BYTES = 102 * 1024
"""Gmail clips message bodies above about 102 KB; the brief's HTML body stays below."""


class EmailError(RunError):
    """The e-mail cannot be built or sent; the message says what to fix (never a secret)."""


def _fmt_num(value: Any, digits: int) -> str:
    if value is None:
        return "–"
    return f"{float(value):,.{digits}f}"


def _fmt_time(value: Any) -> str:
    from datetime import datetime

    if not value:
        return "–"
    return datetime.fromisoformat(str(value)).strftime("%a %d %b %H:%M")


def _period_label(brief: Mapping[str, Any]) -> str:
    from datetime import datetime, timedelta

    period = brief["metadata"]["period"]
    start = datetime.fromisoformat(period["start"])
    end = datetime.fromisoformat(period["end"])
    last_day = (end - timedelta(seconds=1)).date()
    return f"{start:%d %b} to {last_day:%d %b %Y}"


def render_email_bodies(
    brief: Mapping[str, Any], *, charts: Mapping[str, str] | None = None, max_items: int = 6
) -> tuple[str, str]:
    """Render the e-mail's HTML body (inline CSS) and plain-text alternative from the brief JSON.

    Parameters
    ----------
    brief : mapping
        The brief document (``spec/weekly_brief_json.md``).
    charts : mapping, optional
        Chart name (``site_load``, ``after_hours``) → Content-ID (without angle brackets).
    max_items : int
        Most quick wins listed in the body.

    Returns
    -------
    tuple of str
        ``(html, text)``.
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR / "email")),
        autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
    )
    meta = brief["metadata"]
    savings = brief["summary"]["totalPotentialSavings"]
    currency = meta.get("currency") or "USD"
    currency = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, currency)
    context = {
        "brief": brief,
        "charts": dict(charts or {}),
        "max_items": max_items,
        "site_name": meta["site"]["siteName"],
        "timezone": meta["site"]["timezone"],
        "period_label": _period_label(brief),
        "generated": str(meta["generatedAt"])[:16].replace("T", " "),
        "currency": currency,
        "subject": email_subject(brief),
        "assumptions": _assumptions_text(savings.get("assumptions")),
        "fmt_num": _fmt_num,
        "fmt_time": _fmt_time,
        "money": lambda value, digits: (
            "–" if value is None else f"{currency}{_fmt_num(value, digits)}"
        ),
        "kpis": [
            (f"{_fmt_num(savings['weeklyKwh'], 0)} kWh", "potential savings this week"),
            (f"{currency}{_fmt_num(savings['weeklyCost'], 2)}", "per week"),
            (f"{currency}{_fmt_num(savings['estimatedAnnual'], 0)}", "per year if it persists"),
            (f"{_fmt_num(brief['dataQuality']['avgCompleteness'], 1)} %", "data completeness"),
        ],
    }
    html = env.get_template("brief.html.j2").render(context)
    text_env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR / "email")),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
    )
    text = text_env.get_template("brief.txt.j2").render(context)
    return html, text


def _assumptions_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value or "")


def email_subject(brief: Mapping[str, Any]) -> str:
    """Subject line: status, site and week, e.g. ``"[Action required] Wilson Center ..."``."""
    status = {
        "action_required": "Action required",
        "attention_needed": "Attention needed",
        "operating_normally": "Operating normally",
    }[brief["summary"]["status"]]
    site = brief["metadata"]["site"]["siteName"]
    return f"[{status}] {site} weekly energy brief, {_period_label(brief)}"


def build_email(
    brief: Mapping[str, Any],
    *,
    sender: str,
    recipients: Sequence[str],
    charts: Mapping[str, bytes] | None = None,
    attachments: Mapping[str, bytes] | None = None,
):
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
        File name → bytes attached as files (e.g. the full HTML report).

    Returns
    -------
    email.message.EmailMessage

    Raises
    ------
    EmailError
        Without a sender, or when the HTML body exceeds
        :data:`EMAIL_HTML_LIMIT_BYTES`.
    """
    import email.policy
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    if not sender:
        raise EmailError("no sender: set MAIL_FROM in the environment or .env")
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
    html_part = message.get_payload()[1]
    for name, png in (charts or {}).items():
        html_part.add_related(
            png, maintype="image", subtype="png", cid=f"<{cids[name]}>", filename=f"{name}.png"
        )
    for filename, data in (attachments or {}).items():
        subtype = "html" if filename.endswith(".html") else "octet-stream"
        maintype = "text" if subtype == "html" else "application"
        if maintype == "text":
            message.add_attachment(data.decode("utf-8"), subtype=subtype, filename=filename)
        else:
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def write_eml(message, path: str | Path) -> Path:
    """Write an e-mail message to an ``.eml`` file (atomically)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(bytes(message))
    os.replace(tmp, target)
    return target


def send_email(message, settings) -> None:
    """Send a message through the SMTP server of the settings (STARTTLS or SSL as configured).

    Parameters
    ----------
    message : email.message.EmailMessage
    settings : argo_lib.config.Settings
        ``smtp_host``, ``smtp_port``, ``smtp_username``/``smtp_password`` (optional),
        ``smtp_starttls``, ``smtp_ssl``.

    Raises
    ------
    EmailError
        If SMTP is not configured or the server refuses; the message names host and port and
        never the password.
    """
    import smtplib
    import ssl

    if not message.get("To"):
        raise EmailError("the message has no recipients: set MAIL_TO or the site's `recipients`")
    if not settings.smtp_host:
        raise EmailError(
            "SMTP is not configured: set SMTP_HOST (and SMTP_PORT) in the environment or .env"
        )
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    context = ssl.create_default_context()
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
                    raise EmailError(
                        f"{where} does not offer STARTTLS; set SMTP_STARTTLS=false only for a "
                        "trusted local relay"
                    )
                client.starttls(context=context)
                client.ehlo()
            if settings.smtp_username:
                client.login(settings.smtp_username, settings.smtp_password or "")
            client.send_message(message)
    except smtplib.SMTPAuthenticationError:
        raise EmailError(
            f"{where} refused the SMTP login; check SMTP_USERNAME and SMTP_PASSWORD"
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        if isinstance(exc, EmailError):
            raise
        reason = str(exc)
        if settings.smtp_password:
            reason = reason.replace(settings.smtp_password, "***")
        raise EmailError(
            f"sending through {where} failed: {type(exc).__name__}: {reason}"
        ) from None
