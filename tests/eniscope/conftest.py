"""Fixtures of the Eniscope tests: the fake server on a manual clock, and clients that record.

Client tests run over real loopback HTTP against :mod:`argo_lib.sim.fake_eniscope`. Sleeps go to a
:class:`ManualClock` shared with the fake, so backoff and pacing take no real time while the
fake's rate-limit windows and token lifetimes still see time pass. Timeouts and connection errors
are raised by the transport (``make_transport`` in ``tests/conftest.py``), never waited for.
"""

from __future__ import annotations

import random

import pytest

from argo_lib.eniscope import EniscopeClient, EniscopeConfig
from argo_lib.sim.fake_eniscope import (
    DEFAULT_API_KEY,
    DEFAULT_EMAIL,
    DEFAULT_PASSWORD,
    FakeEniscope,
    ManualClock,
)

NOW = "2026-12-01T12:00:00Z"  # the fake's "now": a year after the days the tests fetch


@pytest.fixture(scope="session")
def spec_md5() -> str:
    """MD5 of the spec's test password ``thisismypassword`` (spec section 2)."""
    return "31435008693ce6976f45dedc5532e2c1"


@pytest.fixture(scope="session")
def spec_basic() -> str:
    """The spec's test vector: the Basic header of ``api@someorg.com`` / ``thisismypassword``."""
    return "Basic YXBpQHNvbWVvcmcuY29tOjMxNDM1MDA4NjkzY2U2OTc2ZjQ1ZGVkYzU1MzJlMmMx"


@pytest.fixture
def clock():
    return ManualClock(NOW)


@pytest.fixture
def fake(clock):
    server = FakeEniscope(clock=clock.now)
    with server:
        yield server


@pytest.fixture
def make_client(fake, clock, make_transport):
    """Factory of clients of the fake: no pacing, manual clock, seeded jitter, a recording transport.

    Keyword arguments are :class:`EniscopeConfig` fields; the fake's credentials are the defaults.
    ``client.transport`` is the :class:`FaultyTransport` (``sent``, ``tokens``, ``fail``...).
    """
    made = []

    def make(**options):
        config = EniscopeConfig(
            base_url=options.pop("base_url", fake.url),
            api_key=options.pop("api_key", DEFAULT_API_KEY),
            email=options.pop("email", DEFAULT_EMAIL),
            password=options.pop("password", DEFAULT_PASSWORD),
            min_interval_s=options.pop("min_interval_s", 0.0),
            **options,
        )
        client = EniscopeClient(
            config,
            transport=make_transport(),
            sleep=clock.sleep,
            clock=clock.monotonic,
            wall_clock=clock.time,
            rng=random.Random(0),
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
