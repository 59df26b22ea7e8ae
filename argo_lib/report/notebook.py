"""Notebooks, run headlessly: checked parameters, papermill, nbconvert HTML.

This is the only module that uses papermill and nbconvert. :func:`run_notebook` checks the
parameters against the notebook's ``parameters`` cell before any work (papermill itself only
warns about unknown names), executes the notebook headlessly and writes the executed notebook
atomically: a failed run leaves ``<name>.failed.ipynb`` for diagnosis and never a file that
looks like a finished run. :func:`render_html` renders an executed notebook without code with
the branded ``argo`` template (the theme's colours from :mod:`argo_lib.render.theme`),
self-contained: no scripts, no external URLs.

Many runs at once on one machine (cron jobs, Dask workers, threads) do not collide: each kernel
gets its own temporary ``JUPYTER_RUNTIME_DIR`` (its connection file), ``IPYTHONDIR`` (profile)
and ``MPLCONFIGDIR`` (matplotlib's caches, seeded with the shared font list), removed after the
run; its environment variables are given to that kernel alone, never set in this process's
``os.environ`` (:func:`kernel_environment` adds some for the runs started inside a block of
code); and a kernel that dies before it is ready, as one does when another process took one of
the ports it was given, is started again with new ports (:data:`KERNEL_START_ATTEMPTS`), with a
warning in the log.
"""

from __future__ import annotations

import ast
import asyncio
import builtins
import contextlib
import contextvars
import difflib
import functools
import logging
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from argo_lib.config import PROJECT_ROOT
from argo_lib.errors import EXIT_FAILED, EXIT_USAGE, ArgoError, RunError, UsageError

if TYPE_CHECKING:
    from nbformat import NotebookNode

__all__ = [
    "HIDE_OUTPUT_TAG",
    "NOTEBOOKS_DIR",
    "NotebookRunError",
    "ParameterError",
    "KERNEL_START_ATTEMPTS",
    "check_parameters",
    "kernel_environment",
    "load_parameter_set",
    "notebook_parameters",
    "render_html",
    "run_notebook",
]

logger = logging.getLogger(__name__)

NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
"""The workbook's source notebooks."""
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
"""nbconvert's ``argo`` template and the e-mail templates."""
HIDE_OUTPUT_TAG = "hide-output"
"""Cells with this tag keep their output in the notebook but not in the HTML report."""
KERNEL_START_ATTEMPTS = 3
"""Starts of a kernel that dies before it is ready (a port race) before the run fails."""

_KERNEL_ENV: contextvars.ContextVar[tuple[tuple[str, str], ...]] = contextvars.ContextVar(
    "argo_kernel_env", default=()
)


class ParameterError(UsageError):
    """A notebook parameter is unknown or of the wrong type; the message says how to fix it."""


class NotebookRunError(RunError):
    """A notebook failed while running; the message names the cell error and the saved notebook.

    ``exit_code`` follows the error raised in the kernel: 2 when it was a usage or
    configuration error (:class:`~argo_lib.errors.UsageError`) or an unexpected error that a
    re-run would meet again, 1 when it was failed work worth re-running
    (:class:`~argo_lib.errors.RunError`, a connection or time-out error).
    """

    def __init__(self, message: str, *, kernel_error: str = "") -> None:
        super().__init__(message)
        self.kernel_error = kernel_error
        self.exit_code = _exit_code_of(kernel_error)


_TRANSIENT_DATABASE_ERRORS = {"OperationalError", "InterfaceError"}
"""Database-driver errors (SQLAlchemy, psycopg2) of a connection that went away."""


def _subclasses(cls: type[ArgoError]) -> list[type[ArgoError]]:
    found: list[type[ArgoError]] = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def _exit_code_of(kernel_error: str) -> int:
    """Exit status for an exception class name raised in a kernel (see NotebookRunError)."""
    codes = {c.__name__: c.exit_code for c in _subclasses(ArgoError)}
    if kernel_error in codes:
        return int(codes[kernel_error])
    builtin = getattr(builtins, kernel_error, None)
    if isinstance(builtin, type) and issubclass(builtin, OSError):
        return EXIT_FAILED
    return EXIT_FAILED if kernel_error in _TRANSIENT_DATABASE_ERRORS else EXIT_USAGE


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
        The source notebook (a name such as ``"weekly_brief"`` means
        ``notebooks/<name>.ipynb``).

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

    path = _resolve_notebook(notebook)
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
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParameterError(
            f"{file}: no such parameter file; give the path of a YAML file such as "
            "params/weekly_brief/wilson_center.yaml"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(f"{file}: cannot read the parameter file ({exc})") from None
    try:
        data = yaml.safe_load(text)
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
    env: Mapping[str, str] | None = None,
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
    env : mapping, optional
        Environment variables the kernel gets on top of this process's (e.g. the
        ``DATABASE_URL`` to read: settings and secrets reach a kernel this way, never as
        parameters, which are written into the executed notebook).

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
    variables = {**dict(_KERNEL_ENV.get()), **dict(env or {})}
    attempt = 1
    ready: list[bool] = []  # on_notebook_start: the kernel answered
    while True:
        ready.clear()
        try:
            with _thread_event_loop(), _isolated_kernel(variables) as manager:
                papermill.execute_notebook(
                    str(source),
                    str(partial),
                    parameters=checked,
                    kernel_name=kernel_name,
                    progress_bar=False,
                    log_output=False,
                    # the executed notebook is written once at the end (also when a cell
                    # fails), not after every cell: a brief's charts make each save cost
                    request_save_on_cell_execute=False,
                    cwd=str(cwd or source.parent),
                    execution_timeout=timeout_s,
                    # The kernel's own start/stop chatter (loopback transport notes, the
                    # interrupt at shutdown) is not for operators; cell errors still come back
                    # as NotebookRunError. Input history in memory: a headless run has no use
                    # for it, and kernels running at the same time would contend for its one
                    # SQLite file. (Turning history off instead left a kernel that now and then
                    # did not exit until killed, 3 s later.)
                    extra_arguments=[
                        "--IPKernelApp.log_level=CRITICAL",
                        "--HistoryManager.hist_file=:memory:",
                    ],
                    # the kernel's own folders and environment (see the module's docstring)
                    kernel_manager_class=manager,
                    # called once the kernel answered: a failure before it is a failed start
                    on_notebook_start=lambda **_: ready.append(True),
                )
        except papermill.PapermillExecutionError as exc:
            os.replace(partial, failed)
            raise NotebookRunError(
                f"{source.name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}. "
                f"The executed notebook is saved as {failed}.",
                kernel_error=str(exc.ename),
            ) from None
        except Exception as exc:
            partial.unlink(missing_ok=True)
            if ready or attempt >= KERNEL_START_ATTEMPTS:
                raise
            logger.warning(
                "the kernel for %s died before it was ready (attempt %d of %d: %s: %s), most "
                "likely another process took one of its ports; starting it again with new ports",
                source.name,
                attempt,
                KERNEL_START_ATTEMPTS,
                type(exc).__name__,
                exc,
            )
            attempt += 1
            continue
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        break
    os.replace(partial, output)
    return output


@contextlib.contextmanager
def kernel_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """Give the kernels started inside the block these environment variables too.

    The variables reach the kernels :func:`run_notebook` starts in this thread (or asyncio
    task) inside the block, on top of this process's environment, and never change
    ``os.environ``: runs in other threads keep their own. Blocks nest; the inner wins, and
    :func:`run_notebook`'s own ``env`` wins over both.

    Parameters
    ----------
    variables : mapping
        Name → value, e.g. ``{"ARGO_PARAMS_DIR": "/srv/params"}``.

    Examples
    --------
    >>> with kernel_environment({"ARGO_OUTPUTS_DIR": "/tmp/out"}):
    ...     dict(_KERNEL_ENV.get())
    {'ARGO_OUTPUTS_DIR': '/tmp/out'}
    >>> dict(_KERNEL_ENV.get())
    {}
    """
    merged = {**dict(_KERNEL_ENV.get()), **{str(k): str(v) for k, v in variables.items()}}
    token = _KERNEL_ENV.set(tuple(merged.items()))
    try:
        yield
    finally:
        _KERNEL_ENV.reset(token)


@contextlib.contextmanager
def _thread_event_loop() -> Iterator[None]:
    """Close the event loop that nbclient makes for a thread other than the main one.

    nbclient runs the kernel's client on the thread's event loop, making one when the thread
    has none, and leaves it open; a worker thread (a thread pool, a Dask worker) that ends
    would then drop it unclosed. A loop the thread had before is left alone.
    """
    if threading.current_thread() is threading.main_thread():
        yield
        return
    policy = asyncio.get_event_loop_policy()
    try:
        policy.get_event_loop()
        had_loop = True
    except RuntimeError:
        had_loop = False
    try:
        yield
    finally:
        if not had_loop:
            with contextlib.suppress(RuntimeError):
                loop = policy.get_event_loop()
                if not loop.is_running():
                    loop.close()
                    policy.set_event_loop(None)


def _matplotlib_cache() -> Path:
    """Matplotlib's configuration and cache folder for this process (not importing it)."""
    configured = os.environ.get("MPLCONFIGDIR")
    if configured:
        return Path(configured)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "matplotlib"


@contextlib.contextmanager
def _isolated_kernel(variables: Mapping[str, str]) -> Iterator[type]:
    """A kernel manager class whose kernel has its own folders and these variables.

    Yields the class for ``kernel_manager_class``; the folders (connection file, IPython
    profile, matplotlib caches) are removed when the block ends.
    """
    from jupyter_client import AsyncKernelManager

    root = Path(tempfile.mkdtemp(prefix="argo-kernel-"))
    try:
        folders = {
            "JUPYTER_RUNTIME_DIR": root / "runtime",
            "IPYTHONDIR": root / "ipython",
            "MPLCONFIGDIR": root / "matplotlib",
        }
        for folder in folders.values():
            folder.mkdir(mode=0o700)
        # the font list is what matplotlib takes seconds to build: start from the shared one
        for cached in _matplotlib_cache().glob("fontlist-*.json"):
            with contextlib.suppress(OSError):
                shutil.copy2(cached, folders["MPLCONFIGDIR"] / cached.name)
        kernel_env = {**{k: str(v) for k, v in folders.items()}, **variables}
        runtime = folders["JUPYTER_RUNTIME_DIR"]

        class IsolatedKernelManager(AsyncKernelManager):
            async def _async_pre_start_kernel(self, **kw: Any) -> Any:
                kw["env"] = {**os.environ, **dict(kw.get("env") or {}), **kernel_env}
                if not self.connection_file:
                    self.connection_file = str(runtime / f"kernel-{uuid.uuid4()}.json")
                return await super()._async_pre_start_kernel(**kw)

        yield IsolatedKernelManager
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _resolve_notebook(notebook: str | Path) -> Path:
    path = Path(notebook)
    if path.suffix != ".ipynb" and not path.exists():
        path = NOTEBOOKS_DIR / f"{path.name}.ipynb"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in NOTEBOOKS_DIR.glob("*.ipynb")))
        raise ParameterError(f"notebook {notebook} not found; the notebooks are: {known}")
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

    source = Path(executed)
    target = Path(html_path) if html_path is not None else source.with_suffix(".html")
    nb = nbformat.read(source, as_version=4)
    if title:
        nb.metadata["title"] = title
    elif "title" not in nb.metadata:
        nb.metadata["title"] = _first_heading(nb) or source.stem
    from traitlets.config import Config

    # cells tagged hide-output (the resolved run, with the database's name) show in the
    # notebook, the audit trail, but not in the report that leaves the company
    config = Config({"TagRemovePreprocessor": {"remove_all_outputs_tags": {HIDE_OUTPUT_TAG}}})
    exporter = _exporter_class()(
        config=config,
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


@functools.cache
def _exporter_class() -> type:
    """Nbconvert's HTML exporter, keeping its compiled templates between runs.

    Compiling the lab template and its includes costs about 0.25 s of CPU per report; jinja's
    file-system bytecode cache (a private folder in the temporary directory, per user) keeps
    the compiled code, and jinja recompiles whatever template changed.
    """
    import jinja2
    from nbconvert import HTMLExporter

    class CachedHTMLExporter(HTMLExporter):
        def _create_environment(self) -> jinja2.Environment:
            environment = super()._create_environment()
            environment.bytecode_cache = jinja2.FileSystemBytecodeCache()
            return environment

    return CachedHTMLExporter


def _first_heading(nb: NotebookNode) -> str | None:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return None
