"""What the notebook reports' run paths share (the weekly brief, the channel exploration).

Each report is computed once by its library call in the notebook, which publishes the report's
JSON and charts (:func:`publish_files`); the operators' run path runs the notebook into a staging
folder, takes the files it published into that folder (:func:`adopt`), renders the HTML and lets
:func:`argo_lib.report.outputs.staged_folder` put the whole folder in place. A failed notebook
leaves the published folder as it was (:func:`notebook_failed`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from argo_lib.errors import UsageError
from argo_lib.report import outputs


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
) -> Path | None:
    """Write a report's JSON and its charts (``<name>.png``) together into ``target``.

    The folder is written whole in a staging folder and then put in place, replacing the
    previous run's folder (:mod:`argo_lib.report.outputs`). None (nothing written) when
    ``target`` is None: an interactive run, or papermill without ``output_dir``.
    """
    if target is None:
        return None
    with outputs.staged_folder(target, allowed=allowed) as work:
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        (work / json_name).write_text(text, encoding="utf-8")
        for name, _ in charts.items():
            (work / f"{name}.png").write_bytes(charts.png(name))
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

    Yields the staging folder and the HTML file, for the run's further files (PDF, e-mail);
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
