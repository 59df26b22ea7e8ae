r"""What goes on the wire: authentication headers, query strings, and keeping secrets out of text.

Pure functions of the API's conventions (spec sections 2 and 3), with no HTTP:

- every request sends ``X-Eniscope-API`` plus either ``Authorization: Basic
  base64(email:md5hex(password))`` or the session token in ``X-Eniscope-Token``, which the server
  hands back in a response header of that name (:func:`request_headers`, :func:`session_token`);
- array parameters are repeated keys with **literal** brackets, ``fields[]=E&fields[]=P``
  (:func:`build_query`; :func:`literal_brackets` undoes a library's percent-encoding);
- the API key, the e-mail, the password and its MD5, the Basic header and the token never reach a
  log line, an exception message or a ``repr`` (:func:`redact_headers`, :func:`redact`).

Examples
--------
>>> basic_authorization("api@someorg.com", "thisismypassword")
'Basic YXBpQHNvbWVvcmcuY29tOjMxNDM1MDA4NjkzY2U2OTc2ZjQ1ZGVkYzU1MzJlMmMx'
>>> build_query([("fields[]", "E"), ("fields[]", "P"), ("res", "3600")])
'fields[]=E&fields[]=P&res=3600'
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote

from argo_lib.eniscope.errors import EniscopeConfigError

__all__ = [
    "API_KEY_HEADER",
    "REDACTED",
    "SECRET_HEADERS",
    "TOKEN_HEADER",
    "basic_authorization",
    "build_query",
    "header_value",
    "literal_brackets",
    "md5_hex",
    "redact",
    "redact_headers",
    "request_headers",
    "session_token",
]

API_KEY_HEADER = "X-Eniscope-API"
"""Request header holding the API key (32 hex characters), sent with every request."""

TOKEN_HEADER = "X-Eniscope-Token"
"""Response header carrying a session token, and request header sending it back."""

SECRET_HEADERS: frozenset[str] = frozenset({"authorization", "x-eniscope-api", "x-eniscope-token"})
"""Header names (lower case) whose values are redacted in every debug dump."""

REDACTED = "[REDACTED]"
"""What a secret is replaced with in logs and messages."""

_MIN_SECRET_CHARS = 4  # shorter strings would redact ordinary words and numbers


def md5_hex(password: str) -> str:
    r"""MD5 of a password as the API expects it: UTF-8, surrounding whitespace stripped.

    Parameters
    ----------
    password : str
        The account password in plain text.

    Returns
    -------
    str
        32 lower-case hex characters.

    Raises
    ------
    EniscopeConfigError
        If the password is empty (or only whitespace).

    Examples
    --------
    >>> md5_hex(" thisismypassword\n")
    '31435008693ce6976f45dedc5532e2c1'
    """
    stripped = (password or "").strip()
    if not stripped:
        raise EniscopeConfigError(
            "the Eniscope password is empty; set ENISCOPE_PASSWORD in the environment or .env"
        )
    return hashlib.md5(stripped.encode("utf-8")).hexdigest()  # the API mandates MD5


def basic_authorization(email: str, password: str) -> str:
    """Build the ``Authorization`` value: ``Basic base64(email:md5hex(password))``.

    Parameters
    ----------
    email : str
        Account e-mail (the Basic user name).
    password : str
        Plain password; only its MD5 goes into the header.

    Returns
    -------
    str
        ``"Basic "`` followed by the Base64 credential.

    Raises
    ------
    EniscopeConfigError
        If the e-mail or the password is empty.

    Examples
    --------
    >>> basic_authorization("api@someorg.com", "thisismypassword")[:10]
    'Basic YXBp'
    """
    user = (email or "").strip()
    if not user:
        raise EniscopeConfigError(
            "the Eniscope e-mail is empty; set ENISCOPE_EMAIL in the environment or .env"
        )
    token = base64.b64encode(f"{user}:{md5_hex(password)}".encode()).decode("ascii")
    return f"Basic {token}"


def request_headers(
    *, api_key: str, user_agent: str, basic: str, token: str | None
) -> dict[str, str]:
    """Headers of one request: the API key, then the session token if there is one, else Basic.

    Parameters
    ----------
    api_key : str
        ``X-Eniscope-API`` value.
    user_agent : str
        ``User-Agent`` value.
    basic : str
        ``Authorization`` value from :func:`basic_authorization`.
    token : str or None
        Session token to send instead of ``Authorization``; None sends Basic credentials.

    Returns
    -------
    dict
        ``X-Eniscope-API``, ``Accept: application/json``, ``User-Agent``, and either
        ``X-Eniscope-Token`` or ``Authorization`` (never both).

    Examples
    --------
    >>> sorted(request_headers(api_key="k", user_agent="ua", basic="Basic b", token="t"))
    ['Accept', 'User-Agent', 'X-Eniscope-API', 'X-Eniscope-Token']
    """
    headers = {API_KEY_HEADER: api_key, "Accept": "application/json", "User-Agent": user_agent}
    if token is not None:
        headers[TOKEN_HEADER] = token
    else:
        headers["Authorization"] = basic
    return headers


def session_token(headers: Mapping[str, str]) -> str | None:
    """The session token a response hands out, looked up case-insensitively.

    Parameters
    ----------
    headers : mapping
        Response headers.

    Returns
    -------
    str or None
        The ``X-Eniscope-Token`` value; None when absent or empty.

    Examples
    --------
    >>> session_token({"x-eniscope-token": "abc"}), session_token({"Accept": "x"})
    ('abc', None)
    """
    return header_value(headers, TOKEN_HEADER) or None


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """A header's value, looked up case-insensitively in any mapping.

    Parameters
    ----------
    headers : mapping
        Request or response headers.
    name : str
        Header name, in any case.

    Returns
    -------
    str or None
        The value; None when the header is absent.

    Examples
    --------
    >>> header_value({"retry-after": "7"}, "Retry-After")
    '7'
    """
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Copy headers with the credential headers' values replaced by ``[REDACTED]``.

    Parameters
    ----------
    headers : mapping
        Request or response headers.

    Returns
    -------
    dict
        Same keys; ``Authorization``, ``X-Eniscope-API`` and ``X-Eniscope-Token`` redacted
        (case-insensitively).

    Examples
    --------
    >>> redact_headers({"X-Eniscope-API": "0123", "Accept": "application/json"})
    {'X-Eniscope-API': '[REDACTED]', 'Accept': 'application/json'}
    """
    return {k: (REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every occurrence of each secret in a text by ``[REDACTED]``.

    Parameters
    ----------
    text : str
        A log line, an error message or a response body.
    secrets : iterable of str or None
        The values to hide; None, empty and very short values (under 4 characters) are ignored,
        so that ordinary words and numbers stay readable.

    Returns
    -------
    str
        The text without the secrets.

    Examples
    --------
    >>> redact("bad key 0123abcd for api@someorg.com", ["0123abcd", "api@someorg.com", None])
    'bad key [REDACTED] for [REDACTED]'
    """
    for secret in secrets:
        if secret and len(secret) >= _MIN_SECRET_CHARS:
            text = text.replace(secret, REDACTED)
    return text


def build_query(params: Iterable[tuple[str, object]]) -> str:
    """Build a query string by hand, keeping PHP array brackets literal (``fields[]=E``).

    Keys may end in ``[]`` and repeat; everything else is percent-encoded. Generic encoders would
    send ``fields%5B%5D=E``, which the API is only known to accept in the literal form.

    Parameters
    ----------
    params : iterable of (str, object)
        Key-value pairs in order; values are converted with ``str``.

    Returns
    -------
    str
        The query string, without the leading ``?``.

    Examples
    --------
    >>> build_query([("daterange[]", 1), ("daterange[]", 2), ("name", "*Kitchen Main*")])
    'daterange[]=1&daterange[]=2&name=%2AKitchen%20Main%2A'
    """
    return "&".join(f"{quote(str(k), safe='[]')}={quote(str(v), safe='')}" for k, v in params)


_ENCODED_ARRAY_KEY = re.compile(r"([?&][A-Za-z0-9_.~-]+)%5B%5D=")


def literal_brackets(target: str) -> str:
    """Undo a library's percent-encoding of ``[]`` in query keys (``fields%5B%5D=`` → ``fields[]=``).

    Only a key position (after ``?`` or ``&``, before ``=``) is touched; :func:`build_query`
    encodes every bracket inside values, so values are never changed.

    Parameters
    ----------
    target : str
        Request target: path and query.

    Returns
    -------
    str
        The target with literal brackets in array keys.

    Examples
    --------
    >>> literal_brackets("/readings/1?fields%5B%5D=E&name=%5B%5D")
    '/readings/1?fields[]=E&name=%5B%5D'
    """
    return _ENCODED_ARRAY_KEY.sub(r"\1[]=", target)
