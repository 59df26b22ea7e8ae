"""What goes on the wire: the Basic credential, headers, literal brackets, redaction."""

from __future__ import annotations

import pytest
from requests.structures import CaseInsensitiveDict

from argo_lib.eniscope import EniscopeConfigError
from argo_lib.eniscope.wire import (
    basic_authorization,
    build_query,
    header_value,
    literal_brackets,
    md5_hex,
    redact,
    redact_headers,
    request_headers,
    session_token,
)


def test_spec_test_vector(spec_md5, spec_basic):
    assert md5_hex("thisismypassword") == spec_md5
    assert basic_authorization("api@someorg.com", "thisismypassword") == spec_basic


@pytest.mark.parametrize(
    "password",
    ["  thisismypassword", "thisismypassword\n", "\tthisismypassword "],
    ids=["leading", "newline", "tab-and-space"],
)
def test_password_is_stripped_before_hashing(password, spec_md5):
    assert md5_hex(password) == spec_md5


@pytest.mark.parametrize("password", ["", "   ", None], ids=["empty", "blank", "none"])
def test_empty_password_is_a_config_error(password):
    with pytest.raises(EniscopeConfigError, match="ENISCOPE_PASSWORD"):
        md5_hex(password)


@pytest.mark.parametrize("email", ["", "  ", None], ids=["empty", "blank", "none"])
def test_empty_email_is_a_config_error(email):
    with pytest.raises(EniscopeConfigError, match="ENISCOPE_EMAIL"):
        basic_authorization(email, "thisismypassword")


def test_headers_send_the_token_instead_of_basic(spec_basic):
    common = {"api_key": "k" * 32, "user_agent": "ua", "basic": spec_basic}
    with_basic = request_headers(**common, token=None)
    assert with_basic == {
        "X-Eniscope-API": "k" * 32,
        "Accept": "application/json",
        "User-Agent": "ua",
        "Authorization": spec_basic,
    }
    with_token = request_headers(**common, token="t0k3n")
    assert with_token["X-Eniscope-Token"] == "t0k3n" and "Authorization" not in with_token


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-Eniscope-Token": "abc"}, "abc"),
        ({"x-eniscope-token": "abc"}, "abc"),
        (CaseInsensitiveDict({"X-ENISCOPE-TOKEN": "abc"}), "abc"),
        ({"X-Eniscope-Token": ""}, None),
        ({"Content-Type": "text/json"}, None),
    ],
    ids=["exact", "lower-case", "requests-headers", "empty", "absent"],
)
def test_session_token_is_read_case_insensitively(headers, expected):
    assert session_token(headers) == expected


def test_header_value_any_case():
    assert header_value({"RETRY-AFTER": "7"}, "Retry-After") == "7"
    assert header_value({}, "Retry-After") is None


def test_build_query_keeps_brackets_literal():
    query = build_query([("fields[]", "E"), ("fields[]", "PF1"), ("daterange[]", 1764565200)])
    assert query == "fields[]=E&fields[]=PF1&daterange[]=1764565200"
    assert "%5B" not in query
    assert build_query([("name", "*Kitchen Main*")]) == "name=%2AKitchen%20Main%2A"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/r/1?fields%5B%5D=E&fields%5B%5D=P", "/r/1?fields[]=E&fields[]=P"),
        ("/r/1?a=1&daterange%5B%5D=5", "/r/1?a=1&daterange[]=5"),
        ("/r/1?name=%5B%5D&x%5B%5D=1", "/r/1?name=%5B%5D&x[]=1"),
        ("/r/1?name=a%5B%5D=b", "/r/1?name=a%5B%5D=b"),
    ],
    ids=["keys", "after-other-key", "value-untouched", "value-with-equals"],
)
def test_literal_brackets_only_in_keys(target, expected):
    assert literal_brackets(target) == expected


@pytest.mark.parametrize(
    "name", ["Authorization", "authorization", "X-Eniscope-API", "x-eniscope-token"], ids=str
)
def test_redact_headers(name):
    redacted = redact_headers({name: "secret-value", "Accept": "application/json"})
    assert redacted == {name: "[REDACTED]", "Accept": "application/json"}


def test_redact_replaces_every_secret_but_not_short_ones():
    text = "key 0123abcd, again 0123abcd, user api@someorg.com, id 42"
    assert redact(text, ["0123abcd", "api@someorg.com", None, "", "42"]) == (
        "key [REDACTED], again [REDACTED], user [REDACTED], id 42"
    )
