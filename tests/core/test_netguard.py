"""The test network guard (tests/netguard.py): no test reaches a port the session did not start."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import requests
from django.conf import settings

from tests import netguard


def test_a_connection_to_the_development_server_port_is_refused_by_the_guard():
    with pytest.raises(netguard.BlockedConnection, match="127.0.0.1:8000"):
        socket.create_connection(("127.0.0.1", 8000), timeout=1)
    assert netguard.take_violations() == ["127.0.0.1:8000"]  # taken here, so this test itself does not fail


def test_http_to_the_development_server_is_refused_and_recorded_even_when_caught():
    with pytest.raises(requests.ConnectionError):
        requests.get("http://127.0.0.1:8000/healthz", timeout=1)
    assert netguard.take_violations() == ["127.0.0.1:8000"]


def test_the_internet_is_refused():
    assert not netguard.allowed("203.0.113.10", 443)
    assert not netguard.allowed("127.0.0.1", 8000)


def test_vendor_urls_of_a_test_without_live_server_point_at_a_refused_port():
    for url in (settings.FREEE_API_URL, settings.FREEE_ACCOUNTS_URL, settings.LINEWORKS_AUTH_URL,
                settings.LINEWORKS_API_URL):
        assert url.startswith("http://127.0.0.1:9/"), url
    assert not netguard.allowed("127.0.0.1", 9)


def test_vendor_urls_of_a_live_server_test_point_at_it(live_server):
    assert live_server.url + "/sandbox/freee" == settings.FREEE_API_URL
    assert live_server.url + "/sandbox/lineworks/v1.0" == settings.LINEWORKS_API_URL
    assert requests.get(live_server.url + "/healthz", timeout=10).status_code in {200, 503}


def test_a_server_the_test_starts_itself_is_reachable():
    class Hello(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hello)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    try:
        assert requests.get(f"http://127.0.0.1:{server.server_port}/", timeout=10).status_code == 204
    finally:
        thread.join(timeout=10)
        server.server_close()


def test_the_session_redis_is_reachable():
    from django.core.cache import cache

    cache.set("netguard", "ok", 10)
    assert cache.get("netguard") == "ok"
