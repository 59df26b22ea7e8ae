"""What the notebook reports' run paths share (the weekly brief, the channel exploration).

Each report is computed once by its library call in the notebook, which publishes the report's
JSON and charts (:func:`publish_files`); the operators' run path runs the notebook into a staging
folder, takes the files it published into that folder (:func:`adopt`), renders the HTML and lets
:func:`argo_lib.report.outputs.staged_folder` put the whole folder in place. A failed notebook
leaves the published folder as it was (:func:`notebook_failed`).

A run asked for a PDF copy checks the paper and finds Chromium before any work
(:func:`check_pdf`) and prints the rendered HTML into the staging folder (:func:`write_pdf`)::

    paper = check_pdf(pdf, paper, site.country)  # before any work; None: no PDF asked
    ...
    with notebook_report(target, ..., title=title, seconds=seconds) as (work, report_html):
        write_pdf(report_html, work, NOTEBOOK, paper=paper, title=title, seconds=seconds)
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from argo_lib.errors import UsageError
from argo_lib.report import outputs

logger = logging.getLogger(__name__)


class ChartSet:
    """Mixin of a frozen dataclass whose fields are a report's charts, in publication order.

    Each field holds a :class:`~argo_lib.render.plots.ChartFigure`; in a notebook, a cell
    ending with ``result.charts.<name>`` shows it and :meth:`png` gives the same image's bytes.
    """

    def items(self) -> Iterator[tuple[str, Any]]:
        """``(name, figure)`` in field order."""
        return ((f.name, getattr(self, f.name)) for f in dataclasses.fields(self))  # type: ignore[arg-type]

    def png(self, name: str) -> bytes:
        """The chart ``name`` as PNG (the image the notebook shows, drawn once)."""
        return bytes(getattr(self, name).to_png())


class ReportFiles:
    """Mixin of a run's outputs: the executed notebook and the HTML report in ``folder``.

    Subclasses are dataclasses with a ``folder`` field and the report's ``stem`` (the
    notebook's name, e.g. ``"explore"``).
    """

    stem: ClassVar[str]
    folder: Path

    @property
    def notebook(self) -> Path:
        """The executed notebook (the audit trail)."""
        return self.folder / f"{self.stem}.ipynb"

    @property
    def html(self) -> Path:
        """The HTML report."""
        return self.folder / f"{self.stem}.html"


def publish_files(
    target: Path | None,
    *,
    allowed: outputs.Allowed,
    json_name: str,
    doc: Mapping[str, Any],
    charts: ChartSet,
    what: str = "",
) -> Path | None:
    """Write a report's JSON and its charts (``<name>.png``) together into ``target``.

    The folder is written whole in a staging folder and then put in place, replacing the
    previous run's folder (:mod:`argo_lib.report.outputs`). None (nothing written) when
    ``target`` is None: an interactive run, or papermill without ``output_dir``. ``what``
    names the run in the log line (e.g. ``"brief 2026-W47"``).
    """
    if target is None:
        return None
    with outputs.staged_folder(target, allowed=allowed) as work:
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        (work / json_name).write_text(text, encoding="utf-8")
        for name, _ in charts.items():
            (work / f"{name}.png").write_bytes(charts.png(name))
    logger.info("%s published in %s", what or json_name, target)
    return target


def adopt(published: Path, work: Path, *, notebook: str, publisher: str) -> None:
    """Move the files the notebook published into the staging folder itself."""
    if not published.is_dir():
        raise UsageError(
            f"the notebook did not publish its files into {published}; is notebooks/{notebook} "
            f"the workbook's own (its last cell calls {publisher})?"
        )
    for path in published.iterdir():
        os.replace(path, work / path.name)
    published.rmdir()


def notebook_failed(exc: Any, target: Path, failed_name: str) -> Exception:
    """The error of a failed notebook run, saying the published folder is unchanged."""
    from argo_lib.report import notebook

    failed = outputs.failed_folder(target) / failed_name
    first = str(exc).split(" The executed notebook is saved as ")[0]
    return notebook.NotebookRunError(
        f"{first} The published folder {target} is unchanged; the failed run is saved as {failed}.",
        kernel_error=exc.kernel_error,
    )


def check_pdf(pdf: bool, paper: str | None, country: str | None) -> str | None:
    """The paper a run prints its PDF on, checked with Chromium before any work; None: no PDF.

    Parameters
    ----------
    pdf : bool
        Whether the run prints a PDF copy of its HTML report (``--pdf``); False: nothing is
        checked and the result is None.
    paper : {"A4", "Letter"} or None
        The paper asked for (``--paper``); None: the site's own
        (:func:`argo_lib.report.pdf.paper_for_country`).
    country : str or None
        The site's ISO 3166 country (``SiteSettings.country``), for the default paper.

    Returns
    -------
    str or None
        The resolved paper (one of :data:`argo_lib.report.pdf.PAPERS`) to pass to
        :func:`write_pdf`, or None when ``pdf`` is False.

    Raises
    ------
    argo_lib.errors.UsageError
        An unknown paper.
    argo_lib.report.pdf.ChromiumMissingError
        No Chromium or playwright to print with (the message says how to install it).
    """
    if not pdf:
        return None
    from argo_lib.report import pdf as printer

    resolved = paper or printer.paper_for_country(country)
    if resolved not in printer.PAPERS:
        raise UsageError(f"paper must be one of {', '.join(printer.PAPERS)}, got {resolved!r}")
    printer.find_chromium()
    return resolved


def write_pdf(
    report_html: Path,
    work: Path,
    stem: str,
    *,
    paper: str | None,
    title: str,
    seconds: dict[str, float],
) -> Path | None:
    """Print a run's HTML report to ``<work>/<stem>.pdf``, if a PDF was asked; None if not.

    Call it inside the :func:`notebook_report` block with the paper :func:`check_pdf`
    returned, so the PDF is published with the run's other files (and a failure leaves the
    published folder unchanged). Each page's footer shows ``title`` and "Page n of N";
    ``seconds["pdf"]`` gets the wall time [s] when a PDF is printed.

    Parameters
    ----------
    report_html : pathlib.Path
        The rendered HTML report (the second value :func:`notebook_report` yields).
    work : pathlib.Path
        The staging folder (the first value :func:`notebook_report` yields).
    stem : str
        The report's name, e.g. ``"explore"``: the PDF is ``<stem>.pdf``.
    paper : {"A4", "Letter"} or None
        From :func:`check_pdf`; None: no PDF is printed.
    title : str
        The report's title, for the footer.
    seconds : dict
        The run's step times [s].

    Returns
    -------
    pathlib.Path or None
        The PDF in the staging folder, or None when ``paper`` is None.

    Raises
    ------
    argo_lib.report.pdf.PdfError
        If Chromium fails to print.
    """
    if paper is None:
        return None
    from argo_lib.report import pdf as printer

    t0 = time.perf_counter()
    path = printer.html_to_pdf(report_html, work / f"{stem}.pdf", paper=paper, footer=title)
    seconds["pdf"] = time.perf_counter() - t0
    return path


def output_folder(
    output_dir: str | Path | None, default: Path, *, allowed: outputs.Allowed
) -> Path:
    """The folder a run publishes into (``output_dir``, else ``default``), checked before work."""
    target = Path(output_dir) if output_dir else default
    outputs.check_replaceable(target, allowed=allowed)
    return target


@contextlib.contextmanager
def notebook_report(
    target: Path,
    *,
    allowed: outputs.Allowed,
    name: str,
    publisher: str,
    parameters: Mapping[str, Any],
    database_url: str,
    title: str,
    seconds: dict[str, float],
) -> Iterator[tuple[Path, Path]]:
    """Run ``notebooks/<name>.ipynb`` into a staging folder, render its HTML; publish on exit.

    Yields the staging folder and the HTML file, for the run's further files (the PDF with
    :func:`write_pdf`, the e-mail);
    when the block ends the whole folder replaces ``target``. ``seconds`` gets the wall time
    of the ``notebook`` and ``html`` steps [s]. A failed notebook leaves ``target`` as it was
    (:func:`notebook_failed`).
    """
    from argo_lib.report import notebook

    try:
        with outputs.staged_folder(target, allowed=allowed) as work:
            t0 = time.perf_counter()
            executed = notebook.run_notebook(
                name,
                work / f"{name}.ipynb",
                parameters={**parameters, "output_dir": str(work / "published")},
                env={"DATABASE_URL": database_url},
            )
            adopt(work / "published", work, notebook=f"{name}.ipynb", publisher=publisher)
            seconds["notebook"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            report_html = notebook.render_html(executed, work / f"{name}.html", title=title)
            seconds["html"] = time.perf_counter() - t0
            yield work, report_html
    except notebook.NotebookRunError as exc:
        raise notebook_failed(exc, target, f"{name}.failed.ipynb") from None


@dataclasses.dataclass(frozen=True)
class SummaryOutputs(ReportFiles):
    """Files of one run of a report that publishes a summary JSON (explore, analysis).

    Attributes
    ----------
    folder : pathlib.Path
        The published folder.
    summary : dict
        The contents of the run's JSON.
    seconds : dict
        Wall time of each step [s]: ``notebook``, ``html``, ``pdf`` (when printed), ``total``.
    """

    folder: Path
    summary: dict[str, Any]
    seconds: dict[str, float]

    @property
    def pdf(self) -> Path | None:
        """The PDF report, or None when the run did not print one."""
        path = self.folder / f"{self.stem}.pdf"
        return path if path.is_file() else None


Outputs = TypeVar("Outputs", bound=SummaryOutputs)


def run_summary_report(
    kind: type[Outputs],
    *,
    output_dir: str | Path | None,
    default: Path,
    allowed: outputs.Allowed,
    publisher: str,
    json_name: str,
    parameters: Mapping[str, Any],
    database_url: str,
    title: str,
    pdf: bool,
    paper: str | None,
    country: str | None,
) -> Outputs:
    """The run path of a report that publishes a summary JSON (explore, analysis, unit health).

    Checks the output folder (``output_dir``, else ``default``) and the PDF's paper and
    Chromium before any work, then runs ``notebooks/<kind.stem>.ipynb`` into a staging folder:
    notebook, HTML, the PDF when asked, and the JSON the notebook's ``publisher`` wrote; the
    folder replaces the published one when every file is written.

    Returns
    -------
    kind
        The published folder, the JSON's contents and the wall time of each step [s].
    """
    target = output_folder(output_dir, default, allowed=allowed)  # before any work
    pdf_paper = check_pdf(pdf, paper, country)  # None: no PDF asked
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    with notebook_report(
        target,
        allowed=allowed,
        name=kind.stem,
        publisher=publisher,
        parameters=parameters,
        database_url=database_url,
        title=title,
        seconds=seconds,
    ) as (work, report_html):
        write_pdf(report_html, work, kind.stem, paper=pdf_paper, title=title, seconds=seconds)
        summary = json.loads((work / json_name).read_text(encoding="utf-8"))
    seconds["total"] = time.perf_counter() - began
    return kind(folder=target, summary=summary, seconds=seconds)


def send_if_asked(
    message: Any, settings: Any, recipients: tuple[str, ...], seconds: dict[str, float], send: bool
) -> tuple[str, ...]:
    """Send a published report's e-mail when asked; return who it went to (empty: not sent).

    The sending time goes into ``seconds["send"]``. Called after every file is published, so a
    failed send (``EmailError``) leaves the report in place.
    """
    if not send:
        return ()
    from argo_lib.report import email as mail

    t0 = time.perf_counter()
    mail.send_email(message, settings)
    seconds["send"] = time.perf_counter() - t0
    return tuple(recipients)
