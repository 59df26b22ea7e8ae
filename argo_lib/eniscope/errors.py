"""Errors of the Eniscope client, placed in the workbook's error hierarchy.

Every error is an :class:`EniscopeError` (which is an :class:`argo_lib.errors.ArgoError`) with the
HTTP ``status``, ``method`` and ``path`` when there was a request, and a message that says what to
do and never holds a credential. Each class also joins one branch of the hierarchy, which decides
how a command ends (:func:`argo_lib.errors.exit_code`):

- the operator must fix something (:class:`argo_lib.errors.UsageError`, exit 2): missing or bad
  settings, credentials refused even after re-authenticating (401/419, 403), an expired
  subscription (402), a failed precondition (412), a bad request (400 and other 4xx), a missing
  resource (404), a channel on the skip list, a redirect, more pages than allowed;
- the work failed and a later run may succeed (:class:`argo_lib.errors.RunError`, exit 1): rate
  limits (429), server errors (5xx, "Invalid Parameter" included), connection errors and
  timeouts, bodies that are not JSON or not the documented shape.

Most failures end one channel-window, and a multi-window fetch goes on with the others. Only
:data:`FATAL_ERRORS` stop it, because every other window would fail the same way: refused
credentials, an expired subscription, a bad setting, and a ``Retry-After`` over 300 s
(:class:`RetryAfterTooLong`). A window that ran out of its 429 budget is an ordinary
:class:`RateLimited` failure of that window only.

Examples
--------
>>> from argo_lib.errors import RunError, UsageError, exit_code
>>> exit_code(AccessDeniedError("HTTP 403", status=403)), exit_code(ServerError("HTTP 503"))
(2, 1)
>>> issubclass(EniscopeConfigError, ValueError), issubclass(TransportError, RunError)
(True, True)
"""

from __future__ import annotations

from typing import Any

from argo_lib.errors import ArgoError, RunError, UsageError

__all__ = [
    "FATAL_ERRORS",
    "AccessDeniedError",
    "AuthenticationError",
    "BadRequestError",
    "ChannelSkippedError",
    "EniscopeConfigError",
    "EniscopeError",
    "InvalidParameterError",
    "InvalidResponseError",
    "NotFoundError",
    "PreconditionFailedError",
    "RateLimited",
    "RedirectError",
    "RetryAfterTooLong",
    "ServerError",
    "SubscriptionExpiredError",
    "TooManyPagesError",
    "TransportError",
]


class EniscopeError(ArgoError):
    """An Eniscope request failed; the message says what to do and never holds a credential.

    Parameters
    ----------
    message : str
        What went wrong and how to fix it.
    status : int, optional
        HTTP status, when there was a response.
    method, path : str, optional
        The request, without host or credentials.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.method = method
        self.path = path


# -- the operator must fix something (exit 2) ---------------------------------------------------


class EniscopeConfigError(EniscopeError, UsageError):
    """A client setting is missing or invalid (e.g. an empty password); also a ValueError."""


class AuthenticationError(EniscopeError, UsageError):
    """401/419 even after re-authenticating with Basic credentials."""


class SubscriptionExpiredError(EniscopeError, UsageError):
    """402: the Best.Energy subscription of the account has expired."""


class AccessDeniedError(EniscopeError, UsageError):
    """403: bad credentials, no right to the resource, or a firewall refusing the User-Agent."""


class PreconditionFailedError(EniscopeError, UsageError):
    """412: the server refused a precondition of the request."""


class NotFoundError(EniscopeError, UsageError):
    """404: no such resource on this path."""


class BadRequestError(EniscopeError, UsageError):
    """400 or another non-retryable 4xx status."""


class RedirectError(EniscopeError, UsageError):
    """3xx: not followed, so that credentials only go to the configured base URL."""


class TooManyPagesError(EniscopeError, UsageError):
    """A list still had full pages at the client's page cap (``max_pages``)."""


class ChannelSkippedError(EniscopeError, UsageError):
    """The channel is on the skip list (configured, or found invalid earlier in this run)."""


# -- the work failed; a later run may succeed (exit 1) -----------------------------------------


class RateLimited(EniscopeError, RunError):
    """429 more often, or for longer, than one window's budget allows (spec section 7).

    Only this window fails; the subclass :class:`RetryAfterTooLong` stops the whole run.

    Parameters
    ----------
    message : str
        What went wrong and how to fix it.
    retry_after_s : float, optional
        The server's last ``Retry-After`` [s], when it sent one.
    **kwargs
        ``status``, ``method``, ``path`` as for :class:`EniscopeError`.
    """

    def __init__(self, message: str, *, retry_after_s: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after_s = retry_after_s


class RetryAfterTooLong(RateLimited):
    """A ``Retry-After`` longer than the client may wait (over 300 s): the run stops (spec 7)."""


class ServerError(EniscopeError, RunError):
    """5xx responses persisted through every retry."""


class InvalidParameterError(ServerError):
    """500 "Invalid Parameter": a virtual or non-energy channel, or a refused parameter."""


class TransportError(EniscopeError, RunError):
    """Connection errors or timeouts persisted through every retry."""


class InvalidResponseError(EniscopeError, RunError):
    """The body is not JSON, or not the shape the endpoint documents."""


FATAL_ERRORS: tuple[type[Exception], ...] = (
    AuthenticationError,
    SubscriptionExpiredError,
    RetryAfterTooLong,
    EniscopeConfigError,
)
"""Errors that would fail every other window too: a multi-window fetch stops on them.

A plain :class:`RateLimited` (a window's 429 budget spent) is not one of them: that window is
recorded as a failure and the others go on.
"""
