"""The workbook's error hierarchy: what went wrong decides how a command ends.

Every error the library raises on purpose is an :class:`ArgoError`, with a message that says what
was wrong, what was received and how to fix it (never a secret). Two branches tell an operator
what to do next, and the command line maps them to exit statuses in one place
(:func:`argo_lib.cli.main`):

- :class:`UsageError` (exit 2): the input or the configuration is wrong (an unknown site, a bad
  date, a missing schema, missing mail settings, wrong credentials). Re-running the same command
  does not help; the message says what to change. It is also a :class:`ValueError`.
- :class:`RunError` (exit 1): the work itself failed part-way (a server error, a database that is
  down, a time-out). Re-running the same command is safe and may succeed. It is also a
  :class:`RuntimeError`.

An unexpected exception (a bug, or data the code cannot handle) ends a command with exit 2 as
well: re-running would meet it again, so it needs a person, not a retry. Only operating-system
errors (a connection reset, a full disk) count as failed work.

Examples
--------
>>> issubclass(UsageError, ValueError), UsageError.exit_code
(True, 2)
>>> issubclass(RunError, RuntimeError), RunError.exit_code
(True, 1)
>>> exit_code(UsageError("unknown site '99999'"))
2
>>> exit_code(ConnectionResetError("peer went away")), exit_code(KeyError("a bug"))
(1, 2)
"""

from __future__ import annotations

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "ArgoError",
    "RunError",
    "UsageError",
    "exit_code",
]

EXIT_OK = 0
"""The command did all its work."""
EXIT_FAILED = 1
"""The work failed (in part): re-run the same command."""
EXIT_USAGE = 2
"""Bad input or configuration: fix what the message says, then run again."""


class ArgoError(Exception):
    """Base of every error the workbook raises on purpose; ``exit_code`` says how a command ends."""

    exit_code: int = EXIT_FAILED


class UsageError(ArgoError, ValueError):
    """Bad input or configuration (exit 2): the message says what to change."""

    exit_code = EXIT_USAGE


class RunError(ArgoError, RuntimeError):
    """The work failed part-way (exit 1): re-running the same command is safe."""

    exit_code = EXIT_FAILED


def exit_code(error: BaseException) -> int:
    """Exit status of a command that ended with ``error``.

    Parameters
    ----------
    error : BaseException
        The exception that ended the command.

    Returns
    -------
    int
        The error's ``exit_code`` for an :class:`ArgoError`; :data:`EXIT_FAILED` for an
        operating-system error (worth re-running); :data:`EXIT_USAGE` for anything else.
    """
    if isinstance(error, ArgoError):
        return int(error.exit_code)
    return EXIT_FAILED if isinstance(error, OSError) else EXIT_USAGE
