"""No test reaches a port it did not start: outbound TCP from the test process is refused unless it goes to

- a server this test session started: a socket bound in this process (pytest-django's live server, any server
  a test runs in a thread) or a listening port of one of this process's child processes (servers a test
  spawned), on a loopback address;
- the session's own services: the database, Redis, the Celery broker and the SMTP server of the settings (the
  embedded servers `scripts/devstack.py test` starts, or those a CI gives in DATABASE_URL / REDIS_URL / EMAIL_URL).

Everything else (the development server on 127.0.0.1:8000, freee, LINE WORKS, the internet) raises
`BlockedConnection`, a ConnectionRefusedError, so the code under test sees what an unreachable host does; the
attempt is also recorded and the test fails at teardown with the address, even when the code caught the error.
Unix sockets and pipes (Playwright talks to its driver and Chromium over pipes) are not TCP and pass.
`responses` intercepts requests before any socket is opened, so mocked vendor HTTP is unaffected.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import threading
from urllib.parse import urlsplit

_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex
_original_bind = socket.socket.bind

_lock = threading.Lock()
_bound_ports: set[int] = set()
_service_endpoints: set[tuple[str, int]] = set()
violations: list[str] = []


class BlockedConnection(ConnectionRefusedError):
    """A test tried to reach a port the test session did not start."""


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _child_listening_ports() -> set[int]:
    """Ports servers spawned by this session listen on (e.g. a worker or server a test started)."""
    try:
        import psutil
    except ImportError:  # psutil is a dev dependency; without it spawned servers are simply not known
        return set()
    ports = set()
    try:
        children = psutil.Process().children(recursive=True)
    except psutil.Error:
        return ports
    for child in children:
        try:
            connections = child.net_connections(kind="inet")
        except psutil.Error:
            continue
        ports |= {c.laddr.port for c in connections if c.status == psutil.CONN_LISTEN and c.laddr}
    return ports


def allowed(host: str, port: int) -> bool:
    """Whether a test may connect to host:port (see the module docstring)."""
    if (host, port) in _service_endpoints:
        return True
    if not _is_loopback(host):
        return False
    with _lock:
        if port in _bound_ports:
            return True
    return port in _child_listening_ports()


def _check(sock: socket.socket, address) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
        return
    host, port = str(address[0]), int(address[1])
    if allowed(host, port):
        return
    message = (f"test network guard: a connection to {host}:{port} was refused — no test may reach a port the "
               "test session did not start (the development server, a vendor, the internet). Point the client at "
               "the live test server (live_server.url) or fake it with `responses` (tests/netguard.py).")
    with _lock:
        violations.append(f"{host}:{port}")
    raise BlockedConnection(message)


def _guarded_connect(self, address):
    _check(self, address)
    return _original_connect(self, address)


def _guarded_connect_ex(self, address):
    _check(self, address)
    return _original_connect_ex(self, address)


def _recording_bind(self, address):
    result = _original_bind(self, address)
    if self.family in (socket.AF_INET, socket.AF_INET6):
        try:
            port = self.getsockname()[1]
        except OSError:
            port = None
        if port:
            with _lock:
                _bound_ports.add(port)
    return result


def _endpoints_of(url: str) -> set[tuple[str, int]]:
    parts = urlsplit(url or "")
    if not parts.hostname or not parts.port:
        return set()
    endpoints = {(parts.hostname, parts.port)}
    with contextlib.suppress(OSError):
        endpoints |= {(info[4][0], parts.port) for info in socket.getaddrinfo(parts.hostname, parts.port)}
    return endpoints


def install(service_urls: list[str]) -> None:
    """Patch socket connects for the whole session; `service_urls` are the session's database, Redis, broker."""
    for url in service_urls:
        _service_endpoints.update(_endpoints_of(url))
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    socket.socket.bind = _recording_bind


def service_urls_from(settings) -> list[str]:
    """The database, Redis and Celery broker/result URLs the settings (and so the devstack) give the session."""
    database = settings.DATABASES["default"]
    urls = [os.environ.get("DATABASE_URL", ""), getattr(settings, "REDIS_URL", ""),
            str(getattr(settings, "CELERY_BROKER_URL", "") or ""), str(getattr(settings, "CELERY_RESULT_BACKEND", "")
                                                                          or "")]
    if database.get("HOST") and database.get("PORT"):
        urls.append(f"postgresql://{database['HOST']}:{database['PORT']}")
    if getattr(settings, "EMAIL_HOST", "") and getattr(settings, "EMAIL_PORT", None):  # devstack's SMTP server
        urls.append(f"smtp://{settings.EMAIL_HOST}:{settings.EMAIL_PORT}")
    return [u for u in urls if u]


def take_violations() -> list[str]:
    """The refused connections since the last call (and forget them)."""
    with _lock:
        taken = list(violations)
        violations.clear()
    return taken
