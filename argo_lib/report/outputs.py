"""Output folders written whole, then published in one step: never a mix of two runs.

A run that writes official outputs (``outputs/<site>/<ISO week>/``) writes every file into a
hidden sibling folder first (``.<week>.partial-<token>``) and only then renames that folder into
place, replacing the previous run's folder. A reader or a mailer therefore sees either the whole
previous run or the whole new one; a run that fails or is killed leaves the published folder
untouched (a failed run is kept beside it as ``<week>.failed`` for diagnosis).

The replacement is one atomic exchange of the two folders where the system offers it (Linux
``renameat2(RENAME_EXCHANGE)``), else two renames. A run killed at any moment therefore leaves
the previous folder or the new one published; what a killed run leaves beside it (its hidden
staging folder, or with two renames the previous folder moved aside) is put right by the next run
of the same folder: a previous folder with nothing published is moved back, staging folders of
processes that no longer run are removed.

A folder is only ever replaced when it holds nothing but a run's own files: pointing a run at
``outputs/`` or at a folder of other work is refused, so a typo cannot delete anything.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from argo_lib.errors import UsageError
from argo_lib.system import process_alive

__all__ = [
    "OutputFolderError",
    "check_replaceable",
    "failed_folder",
    "recover",
    "replace_folder",
    "staged_folder",
]

Allowed = Callable[[str], bool]
"""Tells whether a file name is one of a run's own files."""


class OutputFolderError(UsageError):
    """An output folder cannot be used: it holds other files, or is a file (exit 2)."""


def check_replaceable(target: Path, *, allowed: Allowed) -> None:
    """Check that ``target`` may be replaced by a new run: absent, or holding only run files.

    Parameters
    ----------
    target : pathlib.Path
        The published folder.
    allowed : callable
        ``allowed(name)`` is true for a file name a run writes (e.g. ``weekly_brief.json``).

    Raises
    ------
    OutputFolderError
        If ``target`` is a file, or holds a folder or a file that no run writes; the message
        names up to five of them.
    """
    if not target.exists():
        _check_creatable(target)
        return
    if not target.is_dir():
        raise OutputFolderError(f"the output folder {target} is a file; give a folder")
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise OutputFolderError(
            f"the output folder {target} cannot be replaced: no permission to write in "
            f"{target.parent}; give a folder you can write (--output-dir)"
        )
    foreign = sorted(p.name for p in target.iterdir() if p.is_dir() or not allowed(p.name))
    if foreign:
        shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        raise OutputFolderError(
            f"the output folder {target} holds files that no run wrote ({shown}); a run replaces "
            "its whole folder, so give an empty folder or one of a previous run"
        )


def _check_creatable(target: Path) -> None:
    """Check that the absent folder ``target`` can be created.

    Its nearest existing ancestor must be a folder this process may write in.
    """
    ancestor = target.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputFolderError(
            f"the output folder {target} cannot be created: {ancestor} is a file, not a folder; "
            "give another folder (--output-dir)"
        )
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputFolderError(
            f"the output folder {target} cannot be created: no permission to write in "
            f"{ancestor}; give a folder you can write (--output-dir)"
        )


_RENAME_EXCHANGE = 2  # linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux ``renameat2``); False where that is not offered."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    done = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return done == 0


def _staging_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.partial-{os.getpid()}-{secrets.token_hex(4)}")


def recover(target: Path) -> None:
    """Put right what a killed run left beside ``target``.

    A previous folder moved aside (``.<name>.old-*``) goes back when nothing is published (the
    run was killed between its two renames) and is removed otherwise; staging folders
    (``.<name>.partial-<pid>-*``) of processes that no longer run are removed.
    """
    parent = target.parent
    if not parent.is_dir():
        return
    olds = sorted(parent.glob(f".{target.name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds and not target.exists():
        os.rename(olds.pop(), target)
    for old in olds:
        shutil.rmtree(old, ignore_errors=True)
    for partial in parent.glob(f".{target.name}.partial-*"):
        owner = partial.name.rsplit(".partial-", 1)[1].split("-", 1)[0]
        if not owner.isdigit() or not process_alive(int(owner)):
            shutil.rmtree(partial, ignore_errors=True)


def replace_folder(staged: Path, target: Path, *, allowed: Allowed) -> Path:
    """Publish a fully written folder at ``target``, replacing the previous run's folder.

    Parameters
    ----------
    staged : pathlib.Path
        The new folder, on the same file system as ``target`` (e.g. from
        :func:`staged_folder`).
    target : pathlib.Path
        Where it is published.
    allowed : callable
        See :func:`check_replaceable`.

    Returns
    -------
    pathlib.Path
        ``target``.

    Raises
    ------
    OutputFolderError
        If ``target`` holds files that no run wrote (nothing is changed).
    """
    check_replaceable(target, allowed=allowed)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        os.rename(staged, target)
        return target
    if _exchange(staged, target):  # one step: the new folder in place, the old one in staged
        shutil.rmtree(staged, ignore_errors=True)
        return target
    old = target.with_name(f".{target.name}.old-{secrets.token_hex(4)}")
    os.rename(target, old)
    try:
        os.rename(staged, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return target


@contextlib.contextmanager
def staged_folder(target: Path, *, allowed: Allowed) -> Iterator[Path]:
    """Write a run's files into a fresh hidden folder, published at ``target`` on success.

    ``target`` is checked before any work (:func:`check_replaceable`). When the block raises,
    the partial folder becomes ``<target>.failed`` (replacing an older one) and ``target`` is
    left as it was; on success an older ``<target>.failed`` is removed.

    Parameters
    ----------
    target : pathlib.Path
        Where the run's folder is published.
    allowed : callable
        See :func:`check_replaceable`.

    Yields
    ------
    pathlib.Path
        The empty staging folder (a hidden sibling of ``target``).

    Raises
    ------
    OutputFolderError
        If ``target`` may not be replaced.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> with staged_folder(root / "2026-W47", allowed=lambda name: name.endswith(".json")) as work:
    ...     _ = (work / "brief.json").write_text("{}")
    >>> sorted(p.name for p in root.iterdir()), sorted(p.name for p in (root / "2026-W47").iterdir())
    (['2026-W47'], ['brief.json'])
    >>> shutil.rmtree(root)
    """
    recover(target)
    check_replaceable(target, allowed=allowed)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = _staging_name(target)
    work.mkdir()
    try:
        yield work
    except BaseException:
        failed = failed_folder(target)
        shutil.rmtree(failed, ignore_errors=True)
        os.rename(work, failed)
        raise
    replace_folder(work, target, allowed=allowed)
    shutil.rmtree(failed_folder(target), ignore_errors=True)  # an older failure is obsolete


def failed_folder(target: Path) -> Path:
    """Where :func:`staged_folder` keeps the files of a failed run: ``<target>.failed``."""
    return target.with_name(f"{target.name}.failed")
