"""The object that performs one HTTP request: a ``requests`` session that keeps ``[]`` literal.

:class:`EniscopeClient <argo_lib.eniscope.client.EniscopeClient>` sends every request through a
:class:`Transport`: ``get(url, headers=..., timeout=...)`` returns a :class:`requests.Response` or
raises what ``requests`` raises (:class:`requests.Timeout`, :class:`requests.ConnectionError`,
...). :class:`SessionTransport` is the real one. Tests inject their own (one that raises
:class:`requests.ReadTimeout` on cue, say), so that a timeout needs no real waiting.

This is the only module that knows urllib3's internals: urllib3 percent-encodes ``[`` and ``]`` in
every request target, and the Eniscope API is only known to accept ``fields[]=E`` in the literal
form (spec section 3), so the connections restore it (:func:`argo_lib.eniscope.wire.literal_brackets`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from argo_lib.eniscope.wire import literal_brackets

__all__ = ["SessionTransport", "Transport"]


class Transport(Protocol):
    """Performs HTTP GET requests for the client; replace it in tests."""

    def get(
        self, url: str, *, headers: Mapping[str, str], timeout: tuple[float, float]
    ) -> requests.Response:
        """Send one GET and return the response without following redirects.

        Parameters
        ----------
        url : str
            Absolute URL: the configured base URL, path and query.
        headers : mapping
            Request headers (credentials included).
        timeout : tuple of float
            Connect and read timeouts [s].

        Returns
        -------
        requests.Response
            Any status; redirects are returned, not followed.

        Raises
        ------
        requests.RequestException
            :class:`requests.Timeout`, :class:`requests.ConnectionError` and the like.
        """
        ...

    def close(self) -> None:
        """Release the connections."""
        ...


class _LiteralHTTPConnection(HTTPConnection):
    def putrequest(self, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        super().putrequest(method, literal_brackets(url), *args, **kwargs)


class _LiteralHTTPSConnection(HTTPSConnection):
    def putrequest(self, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        super().putrequest(method, literal_brackets(url), *args, **kwargs)


class _LiteralHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _LiteralHTTPConnection


class _LiteralHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _LiteralHTTPSConnection


class _LiteralBracketsAdapter(HTTPAdapter):
    """Requests adapter whose connections send ``fields[]=E`` with literal brackets."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _LiteralHTTPConnectionPool,
            "https": _LiteralHTTPSConnectionPool,
        }


class SessionTransport:
    """The real transport: one keep-alive :class:`requests.Session`, literal ``[]`` on the wire.

    Parameters
    ----------
    session : requests.Session, optional
        Session to use (its connection pool is reused); default a new one. Its ``http://`` and
        ``https://`` adapters are replaced by one that keeps brackets literal and never retries
        on its own (the client's retry policy decides).
    pool_maxsize : int
        Connections kept open at once; the client passes its ``max_concurrency``.
    """

    def __init__(self, session: requests.Session | None = None, *, pool_maxsize: int = 1) -> None:
        self.session = session or requests.Session()
        adapter = _LiteralBracketsAdapter(
            pool_connections=1, pool_maxsize=max(pool_maxsize, 1), max_retries=0
        )
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def get(
        self, url: str, *, headers: Mapping[str, str], timeout: tuple[float, float]
    ) -> requests.Response:
        """Send one GET without following redirects; see :meth:`Transport.get`."""
        return self.session.get(url, headers=dict(headers), timeout=timeout, allow_redirects=False)

    def close(self) -> None:
        """Close the connection pool."""
        self.session.close()
