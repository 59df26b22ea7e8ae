"""Client for the Eniscope Core API (Best.Energy meters), and pure parsers of its payloads.

The client speaks the API as spec ``eniscope_api.md`` describes it: an ``X-Eniscope-API`` key
header plus Basic credentials (e-mail and the MD5 of the password), then the session token the
server hands back in the ``X-Eniscope-Token`` response header; lists paginated with ``limit=100``;
readings per channel with literal ``fields[]``/``daterange[]`` query strings. It retries, backs off
and paces itself per spec section 7, and never lets a credential reach a log line, an exception
message or a ``repr``.

The package has one module per concern; everything public is re-exported here, so
``from argo_lib import eniscope; eniscope.EniscopeClient(...)`` is all a caller needs:

- :mod:`~argo_lib.eniscope.errors`: the exceptions, in the workbook's hierarchy (exit 2 for what
  the operator must fix, exit 1 for failures a later run may not meet);
- :mod:`~argo_lib.eniscope.wire`: authentication headers, query strings with literal ``[]``,
  redaction of secrets;
- :mod:`~argo_lib.eniscope.retry`: the retry policy as a pure function of a request's state and
  the outcome of its last attempt (:func:`~argo_lib.eniscope.retry.decide`);
- :mod:`~argo_lib.eniscope.parse`: pure parsers of payloads into DataFrames with the glossary's
  names and units (kWh, kW, ...);
- :mod:`~argo_lib.eniscope.transport`: the object that performs one HTTP request (``requests``
  with literal ``[]`` on the wire), replaceable in tests;
- :mod:`~argo_lib.eniscope.client`: settings, the request loop, pacing, pagination, readings
  windows.

Examples
--------
>>> config = EniscopeConfig(api_key="0" * 32, email="api@someorg.com", password="secret")
>>> "secret" in repr(config), config.base_url
(False, 'https://core.eniscope.com')
>>> readings, _ = parse_readings({"records": [{"ts": 0, "E": 1500.0}]}, channel_id=162285)
>>> readings.loc[0, "energy_kwh"]  # Wh on the wire, kWh in the frame
np.float64(1.5)
"""

from __future__ import annotations

from argo_lib.eniscope.client import (
    DEFAULT_BASE_URL,
    DEFAULT_FIELD_CODES,
    DEFAULT_SKIP_CHANNELS,
    DEFAULT_USER_AGENT,
    RESOLUTIONS,
    EniscopeClient,
    EniscopeConfig,
    ReadingsResult,
    WindowResult,
)
from argo_lib.eniscope.errors import (
    FATAL_ERRORS,
    AccessDeniedError,
    AuthenticationError,
    BadRequestError,
    ChannelSkippedError,
    EniscopeConfigError,
    EniscopeError,
    InvalidParameterError,
    InvalidResponseError,
    NotFoundError,
    PreconditionFailedError,
    RateLimited,
    RedirectError,
    RetryAfterTooLong,
    ServerError,
    SubscriptionExpiredError,
    TooManyPagesError,
    TransportError,
)
from argo_lib.eniscope.parse import (
    REJECTED_COLUMNS,
    concat_rejected,
    decode_payload,
    empty_rejected,
    page_count,
    parse_channels,
    parse_devices,
    parse_meters,
    parse_organizations,
    parse_readings,
    unwrap_list,
)
from argo_lib.eniscope.retry import RetryPolicy, backoff_delay, parse_retry_after
from argo_lib.eniscope.transport import SessionTransport, Transport
from argo_lib.eniscope.wire import (
    REDACTED,
    SECRET_HEADERS,
    basic_authorization,
    build_query,
    md5_hex,
    redact_headers,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_FIELD_CODES",
    "DEFAULT_SKIP_CHANNELS",
    "DEFAULT_USER_AGENT",
    "FATAL_ERRORS",
    "REDACTED",
    "REJECTED_COLUMNS",
    "RESOLUTIONS",
    "SECRET_HEADERS",
    "AccessDeniedError",
    "AuthenticationError",
    "BadRequestError",
    "ChannelSkippedError",
    "EniscopeClient",
    "EniscopeConfig",
    "EniscopeConfigError",
    "EniscopeError",
    "InvalidParameterError",
    "InvalidResponseError",
    "NotFoundError",
    "PreconditionFailedError",
    "RateLimited",
    "RetryAfterTooLong",
    "ReadingsResult",
    "RedirectError",
    "RetryPolicy",
    "ServerError",
    "SessionTransport",
    "SubscriptionExpiredError",
    "TooManyPagesError",
    "Transport",
    "TransportError",
    "WindowResult",
    "backoff_delay",
    "basic_authorization",
    "build_query",
    "concat_rejected",
    "decode_payload",
    "empty_rejected",
    "md5_hex",
    "page_count",
    "parse_channels",
    "parse_devices",
    "parse_meters",
    "parse_organizations",
    "parse_readings",
    "parse_retry_after",
    "redact_headers",
    "unwrap_list",
]
