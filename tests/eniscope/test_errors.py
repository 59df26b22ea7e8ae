"""Eniscope errors in the workbook's hierarchy: what the operator fixes (2), what a re-run may fix (1)."""

from __future__ import annotations

import pytest

from argo_lib import eniscope
from argo_lib.eniscope.errors import RetryAfterTooLong
from argo_lib.errors import EXIT_FAILED, EXIT_USAGE, ArgoError, RunError, UsageError, exit_code

OPERATOR_FIXES = [
    eniscope.EniscopeConfigError,
    eniscope.AuthenticationError,
    eniscope.SubscriptionExpiredError,
    eniscope.AccessDeniedError,
    eniscope.PreconditionFailedError,
    eniscope.NotFoundError,
    eniscope.BadRequestError,
    eniscope.RedirectError,
    eniscope.TooManyPagesError,
    eniscope.ChannelSkippedError,
]
TRANSIENT = [
    eniscope.RateLimited,
    RetryAfterTooLong,
    eniscope.ServerError,
    eniscope.InvalidParameterError,
    eniscope.TransportError,
    eniscope.InvalidResponseError,
]


@pytest.mark.parametrize("cls", OPERATOR_FIXES, ids=lambda c: c.__name__)
def test_what_the_operator_must_fix_exits_2(cls):
    error = cls("message", status=400, method="GET", path="/x")
    assert isinstance(error, eniscope.EniscopeError) and isinstance(error, UsageError)
    assert not isinstance(error, RunError)
    assert exit_code(error) == EXIT_USAGE
    assert (error.status, error.method, error.path) == (400, "GET", "/x")


@pytest.mark.parametrize("cls", TRANSIENT, ids=lambda c: c.__name__)
def test_transient_failures_exit_1(cls):
    error = cls("message", status=503)
    assert isinstance(error, eniscope.EniscopeError) and isinstance(error, RunError)
    assert not isinstance(error, UsageError)
    assert exit_code(error) == EXIT_FAILED


def test_existing_bases_are_kept():
    assert issubclass(eniscope.EniscopeConfigError, ValueError)
    assert issubclass(eniscope.InvalidParameterError, eniscope.ServerError)
    assert issubclass(eniscope.EniscopeError, ArgoError)
    assert exit_code(eniscope.EniscopeError("unclassified")) == EXIT_FAILED


def test_rate_limited_keeps_retry_after():
    error = eniscope.RateLimited("slow down", retry_after_s=301.0, status=429)
    assert error.retry_after_s == 301.0 and error.status == 429


def test_fatal_errors_are_the_ones_no_window_escapes():
    assert set(eniscope.FATAL_ERRORS) == {
        eniscope.AuthenticationError,
        eniscope.SubscriptionExpiredError,
        RetryAfterTooLong,
        eniscope.EniscopeConfigError,
    }


def test_a_spent_429_budget_fails_one_window_but_a_long_retry_after_stops_the_run():
    spent = eniscope.RateLimited("HTTP 429 11 times", status=429)
    too_long = RetryAfterTooLong("Retry-After is 301 s", retry_after_s=301.0, status=429)
    assert not isinstance(spent, eniscope.FATAL_ERRORS)
    assert isinstance(too_long, eniscope.FATAL_ERRORS)
    assert isinstance(too_long, eniscope.RateLimited)
    assert too_long.retry_after_s == 301.0
