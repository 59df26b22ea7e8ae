"""Facts about the running system that several parts of the workbook need."""

from __future__ import annotations

import os

__all__ = ["process_alive"]


def process_alive(pid: int) -> bool:
    """Whether a process of this host with id ``pid`` is running.

    Only a process that certainly no longer exists is reported dead; when the system does not
    say (another user's process, any other refusal) it counts as alive, so nothing of a live
    run (its run-log row, its staging folder) is ever taken for a dead one's.

    Examples
    --------
    >>> process_alive(os.getpid())
    True
    """
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process, or the system will not tell
        return True
    return True
