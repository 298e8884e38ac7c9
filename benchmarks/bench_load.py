"""Issue 8 item 7: the deal list and deal pages under load, with 100,000 deals, on gunicorn over loopback.

One tenant with 100,000 deals (a third with product lines, 20,000 with freee-linked invoices). gunicorn serves
the app as in production (DEBUG off, WEB_WORKERS sync workers); CLIENTS locust clients (benchmarks/load/
locustfile.py), each logged in through the login form with a session of its own, read a mix of the deal list
(newest first, sorted by each column, the freee最新請求ステータス filter, pages 2-200) and random deal pages, each
with the htmx fragment the browser loads with it, without think time, for BENCH_LOAD_SECONDS (default 60;
BENCH_LOAD_WEB_WORKERS changes the number of gunicorn workers, default 4).

    baseline  one client alone, for a quarter of the time: the latency of each page without contention
    phase A   CLIENTS clients, nothing else running
    phase B   the same while real Celery workers run a bulk status refresh of the 20,000 invoices (freee sandbox
              on the live server) and a ledger sync of the same 20,000 documents (会計連携 for the period)

Prints, per phase and per page: requests, requests/s, median, p95, p99 and max latency, errors, next to the
one-client figures; the load average and where the CPU went (gunicorn, PostgreSQL, locust, the Celery workers,
this process with the freee sandbox, and everything else on the machine, from /proc), so that web CPU per
request can be compared between runs on a noisy machine; the background jobs' progress during phase B.
Errors must be 0 (any answer but a 200 with the expected content is one); the times are printed, never asserted.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import re
import resource
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from django.db import connection

from benchmarks.data import connect_sandbox, mirror_in_sandbox, seed_deals
from benchmarks.faults import harness
from config.celery import app
from core.models import Job
from deals.models import Deal, DealLine
from invoices import bulk
from journals.defaults import ledger_defaults_ensure
from journals.sync import services as ledger_sync
from tests.factories import PASSWORD, MembershipFactory, UserFactory

DEALS, INVOICES = 100_000, 20_000
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "60"))
BASELINE_SECONDS = max(10, SECONDS // 4)
CLIENTS = 20
MEMBERS = 4  # people behind the CLIENTS sessions (five browser tabs each)
# Sync workers: the pages are CPU-bound Python with short PostgreSQL waits, and PostgreSQL, the Celery
# workers and the load generator share the same 2 cores. Two per core keeps both busy while one waits on
# the database; more only adds context switches and memory.
WEB_WORKERS = int(os.environ.get("BENCH_LOAD_WEB_WORKERS", "4"))
LOCUSTFILE = Path(__file__).parent / "load" / "locustfile.py"
pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Row:
    """One line of locust's stats CSV (milliseconds)."""

    name: str
    requests: int
    errors: int
    rps: float
    median: float
    p95: float
    p99: float
    max: float


def test_deal_pages_under_load(live_server, settings, tmp_path):
    tenant, admin = seed_deals(deals=DEALS, invoices=INVOICES)
    lines = _seed_lines(tenant)
    members = [MembershipFactory(tenant=tenant, user=UserFactory(username=f"load-member-{n}")).user
               for n in range(MEMBERS)]
    company = connect_sandbox(tenant, live_server, settings)
    mirror_in_sandbox(company, tenant)
    ledger_defaults_ensure(tenant=tenant)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum does to a long-used tenant's tables
    deals_file = tmp_path / "deals.txt"
    deals_file.write_text("\n".join(str(p) for p in Deal.objects.filter(tenant=tenant).values_list("public_id",
                                                                                                  flat=True)))
    print(f"\nIssue 8 (7): {DEALS:,} deals ({lines:,} product lines, {INVOICES:,} invoices), gunicorn "
          f"{WEB_WORKERS} sync workers, DEBUG off, locust FastHttpUser without think time")

    port = _free_port()
    web = harness.start_web(port=port, broker_url=app.conf.broker_url, workers=WEB_WORKERS)
    try:
        sessions_file = tmp_path / "sessions.txt"
        sessions_file.write_text("\n".join(_log_in(port, members, CLIENTS)))
        meter = CpuMeter(web=web.pid, postmaster=_postmaster_pid())
        run = _LocustRun(port=port, sessions=sessions_file, deals=deals_file, folder=tmp_path, meter=meter)
        baseline = run(name="baseline", users=1, seconds=BASELINE_SECONDS)
        quiet = run(name="quiet", users=CLIENTS, seconds=SECONDS)
        busy, progress = _under_background_work(run, meter, tenant, admin, live_server, settings)
    finally:
        harness.stop(web)

    _report(baseline, quiet, busy, progress)
    for phase in (baseline, quiet, busy):
        assert phase.total.requests > 0 and phase.total.errors == 0, (phase.name, phase.failures)
    assert progress.ran_during_the_window(), progress.samples


# --------------------------------------------------------------------------- data and sessions


def _seed_lines(tenant) -> int:
    """Product lines (1 to 3) for every third deal, in batches."""
    ids = list(Deal.objects.filter(tenant=tenant).order_by("pk").values_list("pk", flat=True)[::3])
    batch = []
    total = 0
    for n, deal_id in enumerate(ids):
        batch += [DealLine(tenant=tenant, deal_id=deal_id, position=p, description=f"作業{p + 1}",
                           quantity=Decimal(1 + n % 5), unit="式", unit_price=Decimal(10_000 * (1 + p)))
                  for p in range(1 + n % 3)]
        if len(batch) >= 10_000 or n == len(ids) - 1:
            total += len(DealLine.objects.bulk_create(batch))
            batch = []
    return total


def _log_in(port: int, members, clients: int) -> list[str]:
    """One session per client, each through the login form (CSRF token, password check, django-axes)."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=WEB_WORKERS) as pool:  # a password check costs ~0.5 s of CPU
        sessions = list(pool.map(lambda n: _log_in_one(port, members[n % len(members)].username), range(clients)))
    print(f"    {clients} clients logged in through the login form as {len(members)} members in "
          f"{time.perf_counter() - started:.1f} s")
    return sessions


def _log_in_one(port: int, username: str) -> str:
    browser = requests.Session()
    form = browser.get(f"http://127.0.0.1:{port}/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    answer = browser.post(f"http://127.0.0.1:{port}/login/", timeout=30, allow_redirects=False,
                          data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert answer.status_code == 302 and "sessionid" in browser.cookies, answer.status_code
    return browser.cookies["sessionid"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- running locust


@dataclass
class Phase:
    name: str
    clients: int
    rows: list[Row]
    total: Row
    failures: list[str]
    load: tuple[float, float]  # 1-minute load average at the start and at the end
    cpu: dict[str, float]  # CPU seconds used during the phase, by whom


class _LocustRun:
    """`locust --headless` as a subprocess; its CSV stats are read back into a Phase."""

    def __init__(self, *, port: int, sessions: Path, deals: Path, folder: Path, meter: CpuMeter):
        self.host, self.folder, self.meter = f"http://127.0.0.1:{port}", folder, meter
        self.env = {**os.environ, "LOAD_SESSIONS": str(sessions), "LOAD_DEALS": str(deals)}

    def start(self, *, name: str, users: int, seconds: int) -> subprocess.Popen:
        self.load_before, self.cpu_before = os.getloadavg()[0], self.meter.read()
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        return subprocess.Popen(
            [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", self.host,
             "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--stop-timeout", "10",
             "--csv", str(self.folder / name), "--only-summary", "--loglevel", "WARNING"],
            env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )

    def finish(self, process: subprocess.Popen, *, name: str, users: int) -> Phase:
        process.wait(timeout=SECONDS + 120)
        cpu = self.meter.since(self.cpu_before)
        rows = _read_stats(self.folder / f"{name}_stats.csv")
        total = next(r for r in rows if r.name == "Aggregated")
        with open(self.folder / f"{name}_failures.csv", newline="") as failures:
            reasons = [f"{f['Name']}: {f['Error']} x{f['Occurrences']}" for f in csv.DictReader(failures)]
        return Phase(name, users, [r for r in rows if r.name != "Aggregated"], total, reasons,
                     (self.load_before, os.getloadavg()[0]), cpu)

    def __call__(self, *, name: str, users: int, seconds: int) -> Phase:
        return self.finish(self.start(name=name, users=users, seconds=seconds), name=name, users=users)


def _read_stats(path: Path) -> list[Row]:
    with open(path, newline="") as stats:
        return [Row(r["Name"], int(r["Request Count"]), int(r["Failure Count"]), float(r["Requests/s"]),
                    _ms(r["50%"]), _ms(r["95%"]), _ms(r["99%"]), _ms(r["Max Response Time"]))
                for r in csv.DictReader(stats)]


def _ms(value: str) -> float:
    return float(value) if value not in ("", "N/A") else 0.0


# --------------------------------------------------------------------------- CPU accounting


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds (user + system) of our processes and of the whole machine, read from /proc.

    locust is a child we wait for, so its time shows in RUSAGE_CHILDREN once it has exited; the Celery
    workers are added to `workers` while they run.
    """

    def __init__(self, *, web: int, postmaster: int):
        self.web, self.postmaster, self.workers = web, postmaster, []

    def read(self) -> dict[str, float]:
        return {
            "gunicorn": _cpu_of([self.web, *_children(self.web)]),
            "PostgreSQL": _cpu_of([self.postmaster, *_children(self.postmaster)]),
            "locust": resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
            + resource.getrusage(resource.RUSAGE_CHILDREN).ru_stime,
            "Celery workers": _cpu_of(self.workers),
            "this process (freee sandbox)": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
            "machine": _machine_busy(),
        }

    def since(self, before: dict[str, float]) -> dict[str, float]:
        used = {name: value - before[name] for name, value in self.read().items()}
        used["everything else"] = used.pop("machine") - sum(used.values())
        return used


def _cpu_of(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # exited
            continue
        # utime, stime, and cutime, cstime: children that exited and were waited for (PostgreSQL backends of
        # closed connections); fields 14 to 17 of proc(5)
        ticks += sum(int(value) for value in fields[11:15])
    return ticks / CLOCK_TICKS


def _children(parent: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                pids.append(int(stat.parent.name))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return pids


def _machine_busy() -> float:
    user, nice, system, idle, iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def _postmaster_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        data_directory = cursor.fetchone()[0]
    return int(Path(data_directory, "postmaster.pid").read_text().split()[0])


# --------------------------------------------------------------------------- phase B: background work


@dataclass
class Progress:
    """(seconds into the window, bulk refresh done/total, ledger sync done/total) every few seconds."""

    samples: list[tuple[float, int, int, int, int]]

    def ran_during_the_window(self) -> bool:
        first, last = self.samples[0], self.samples[-1]
        return last[1] > first[1] and last[3] > first[3]


def _under_background_work(run: _LocustRun, meter: CpuMeter, tenant, admin, live_server,
                           settings) -> tuple[Phase, Progress]:
    env = {"FREEE_API_URL": settings.FREEE_API_URL, "FREEE_ACCOUNTS_URL": settings.FREEE_ACCOUNTS_URL,
           "FREEE_CLIENT_RATE_LIMIT": "false", "SITE_URL": live_server.url}
    broker = app.conf.broker_url
    app.connection_for_write().default_channel.client.flushdb()  # nothing left over from earlier benchmarks
    # One worker per queue, as deployed (core.queues): interactive work never waits behind the bulk refresh.
    workers = [harness.start_worker(broker_url=broker, extra_env=env, queues=queue, log_name=f"load-{queue.split(',')[0]}")
               for queue in ("interactive,default", "bulk")]
    meter.workers = [worker.pid for worker in workers]
    try:
        refresh = bulk.bulk_refresh_start(tenant=tenant, actor=admin)
        sync = ledger_sync.export_start(tenant=tenant, actor=admin, start=dt.date(2026, 9, 1),
                                        end=dt.date(2026, 11, 30), groups=["sales"], closed_only=False,
                                        unsynced_only=False)
        harness.wait_until(lambda: _done(refresh)[0] > 0 and _done(sync)[1] > 0, timeout=120,
                           what="both background jobs to start")
        started = time.monotonic()
        process = run.start(name="busy", users=CLIENTS, seconds=SECONDS)
        samples = []
        while process.poll() is None:
            samples.append((time.monotonic() - started, *_done(refresh), *_done(sync)))
            time.sleep(5)
        samples.append((time.monotonic() - started, *_done(refresh), *_done(sync)))
        phase = run.finish(process, name="busy", users=CLIENTS)
    finally:
        for worker in workers:
            if worker.poll() is None:
                harness.kill(worker)  # mid-task; a warm shutdown would wait for the refresh's 120 s slice
    return phase, Progress(samples)


def _done(job) -> tuple[int, int]:
    job = Job.objects.get(pk=job.pk)
    return job.done, job.total


# --------------------------------------------------------------------------- report


def _report(baseline: Phase, quiet: Phase, busy: Phase, progress: Progress) -> None:
    alone = {r.name: r for r in baseline.rows}
    alone["Aggregated"] = baseline.total
    print(f"    baseline: 1 client for {BASELINE_SECONDS} s, load average {_load(baseline)}: "
          f"{baseline.total.requests:,} requests, {baseline.total.rps:.1f}/s, median {baseline.total.median:.0f} ms, "
          f"gunicorn {baseline.cpu['gunicorn'] * 1000 / max(baseline.total.requests, 1):.1f} ms CPU per request")
    for phase, title in ((quiet, "A, quiet"), (busy, "B, bulk refresh + ledger sync in the background")):
        print(f"\n    phase {title}: {phase.clients} clients for {SECONDS} s, load average {_load(phase)}")
        print(f"    {'page':<40}{'requests':>9}{'req/s':>8}{'median':>8}{'p95':>8}{'p99':>8}{'max':>8}{'errors':>7}"
              f"   1 client: median / p99 ms")
        for row in [*phase.rows, phase.total]:
            single = alone.get(row.name)
            cells = f"{single.median:>6.0f} / {single.p99:.0f}" if single else "-"
            print(f"    {row.name:<40}{row.requests:>9,}{row.rps:>8.1f}{row.median:>8.0f}{row.p95:>8.0f}"
                  f"{row.p99:>8.0f}{row.max:>8.0f}{row.errors:>7}   {cells}")
        for reason in phase.failures:
            print(f"    error: {reason}")
        _report_cpu(phase)
    print("\n    background jobs during phase B (s into the window: bulk refresh done/total, ledger sync done/total)")
    shown = progress.samples[::3] + ([progress.samples[-1]] if (len(progress.samples) - 1) % 3 else [])
    for seconds, refreshed, to_refresh, synced, to_sync in shown:
        print(f"      {seconds:5.0f} s   refresh {refreshed:>6,}/{to_refresh:,}   ledger {synced:>6,}/{to_sync:,}")
    print("    (times in ms; locust rounds latencies above 100 ms to 10 ms and above 1 s to 100 ms)")


def _report_cpu(phase: Phase) -> None:
    web = phase.cpu["gunicorn"] * 1000 / max(phase.total.requests, 1)
    used = ", ".join(f"{name} {seconds:.1f}" for name, seconds in phase.cpu.items() if name != "Celery workers"
                     or seconds)
    print(f"    CPU seconds during the phase ({os.cpu_count()} cores x {SECONDS} s = {os.cpu_count() * SECONDS} s): "
          f"{used}; gunicorn {web:.1f} ms per request")


def _load(phase: Phase) -> str:
    return f"{phase.load[0]:.1f} -> {phase.load[1]:.1f}"
