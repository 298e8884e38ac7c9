"""The health check answers ahead of host validation and the HTTPS redirect (probes come by IP over HTTP)."""

import socket

import pytest
from django.db import connection
from django.test import Client, override_settings

# As in production (config/settings.py); test_settings.py probes the real production settings too.
PRODUCTION_LIKE = {"ALLOWED_HOSTS": ["hub.example.jp"], "SECURE_SSL_REDIRECT": True,
                   "SECURE_REDIRECT_EXEMPT": [r"^healthz$"]}


@override_settings(**PRODUCTION_LIKE)
def test_the_health_check_answers_a_probe_by_ip_over_plain_http(db):
    response = Client().get("/healthz", HTTP_HOST="127.0.0.1:8000")

    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff" and "Content-Security-Policy" in response


@override_settings(**PRODUCTION_LIKE)
def test_other_pages_still_refuse_a_host_not_allowed(db):
    client = Client()
    client.raise_request_exception = False

    assert client.get("/login/", HTTP_HOST="127.0.0.1", secure=True).status_code == 400


@override_settings(**PRODUCTION_LIKE)
def test_the_health_check_answers_503_while_the_database_is_unreachable(django_db_blocker, unused_port):
    """A real outage: the connection points at a port where no PostgreSQL listens."""
    with django_db_blocker.unblock():
        port = connection.settings_dict["PORT"]
        connection.close()
        connection.settings_dict["PORT"] = unused_port
        try:
            response = Client().get("/healthz", HTTP_HOST="10.0.0.5")
        finally:
            connection.close()
            connection.settings_dict["PORT"] = port

    assert response.status_code == 503 and response.json() == {"status": "unavailable"}


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
