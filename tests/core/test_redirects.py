"""`next` after a form: a path of this site is followed, anything else falls back (no open redirect)."""

import pytest
from django.test import RequestFactory

from core.redirects import redirect_to_next


@pytest.mark.parametrize(("target", "expected"), [
    ("/deals/?page=2", "/deals/?page=2"),
    ("https://evil.example/", "/fallback/"),
    ("//evil.example/", "/fallback/"),
    ("javascript:alert(1)", "/fallback/"),
    ("", "/fallback/"),
])
def test_only_paths_of_this_site_are_followed(target, expected):
    request = RequestFactory().post("/form/", {"next": target})
    assert redirect_to_next(request, "/fallback/")["Location"] == expected
