"""A fake Eniscope Core API on loopback, for tests and offline demos (API spec section 10).

- :mod:`~argo_lib.sim.fake_eniscope.server`: :class:`FakeEniscope` (lifecycle, authentication,
  request handling, request log) and the ``fake-eniscope`` command's :func:`main`;
- :mod:`~argo_lib.sim.fake_eniscope.wire`: the wire format (routes, queries, filters and pages,
  readings windows, API units, JSON, redaction), pure functions;
- :mod:`~argo_lib.sim.fake_eniscope.records`: the site's metadata as the API lists it;
- :mod:`~argo_lib.sim.fake_eniscope.readings`: simulated readings regridded and summarised;
- :mod:`~argo_lib.sim.fake_eniscope.faults`: what a test can switch on (:class:`Faults`,
  :class:`RateLimit`, :class:`ScriptedResponse`, value faults) and the :class:`ManualClock`.
"""

from argo_lib.sim.fake_eniscope.faults import (
    MALFORMED_KINDS,
    Faults,
    ManualClock,
    RateLimit,
    ScriptedResponse,
)
from argo_lib.sim.fake_eniscope.readings import INSTALLED
from argo_lib.sim.fake_eniscope.records import (
    SITE_NAME,
    SITE_ORGANIZATION_ID,
    SITE_TIMEZONE,
    channel_records,
    device_records,
)
from argo_lib.sim.fake_eniscope.server import (
    DEFAULT_API_KEY,
    DEFAULT_EMAIL,
    DEFAULT_PASSWORD,
    FakeEniscope,
    LoggedRequest,
    main,
)
from argo_lib.sim.fake_eniscope.wire import NAMED_RANGES

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_EMAIL",
    "DEFAULT_PASSWORD",
    "INSTALLED",
    "MALFORMED_KINDS",
    "NAMED_RANGES",
    "SITE_NAME",
    "SITE_ORGANIZATION_ID",
    "SITE_TIMEZONE",
    "FakeEniscope",
    "Faults",
    "LoggedRequest",
    "ManualClock",
    "RateLimit",
    "ScriptedResponse",
    "channel_records",
    "device_records",
    "main",
]
