"""After login, ``next`` is followed only to a path on this site."""
from __future__ import annotations

import pytest
from helpers import PASSWORD, Browser

# each of these leaves the site in some browser: tabs and newlines are dropped from URLs, a backslash reads
# as a slash, a scheme or a host goes elsewhere
EVIL = ["//evil.example", "//evil.example/x", "/\\evil.example", "\\\\evil.example", "/\t/evil.example",
        "/\n/evil.example", "/\r\n/evil.example", "/ /evil.example", "https://evil.example", "http:evil.example",
        "javascript:alert(1)", "JavaScript:alert(1)", " //evil.example", "evil.example", "/\\/evil.example",
        "/\x00/evil.example", "/\u3000/evil.example", "/\u2028/evil.example", "data:text/html,x", ""]


def _login(app, query: str | dict):
    browser = Browser(app.test_client())
    token = browser._token_from(browser.client.get("/login").get_data(as_text=True))
    url, args = (f"/login?{query}", None) if isinstance(query, str) else ("/login", query)
    return browser.client.post(url, query_string=args, data={
        "username": "coordinator", "password": PASSWORD, "csrf_token": token})


@pytest.mark.parametrize("target", EVIL)
def test_an_off_site_next_goes_home(app, world, target):
    response = _login(app, {"next": target})
    assert response.status_code in (302, 400), response.status_code  # the NUL is refused before the login
    if response.status_code == 302:
        assert response.headers["Location"] == "/"


@pytest.mark.parametrize("query", ["next=/%09/evil.example", "next=/%0a/evil.example", "next=%2F%2Fevil.example",
                                   "next=/%5Cevil.example", "next=%09//evil.example"])
def test_the_issue_s_spellings_as_sent(app, world, query):
    assert _login(app, query).headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/subjects", "/subjects?status=screening&site=01", "/audit#top", "/"])
def test_a_same_site_path_is_followed(app, world, target):
    assert _login(app, {"next": target}).headers["Location"] == target


def test_the_rule_is_a_plain_function():
    from ecrf.web.auth import is_same_site_path

    assert all(not is_same_site_path(t) for t in EVIL)
    assert is_same_site_path("/subjects/01-S001/events/SE.SCREENING/forms/F.VS")
    assert not is_same_site_path(None)
