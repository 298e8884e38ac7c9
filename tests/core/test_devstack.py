"""scripts/devstack.py: what a test run starts is stopped even when interrupted while starting, and the
folders of runs that died without cleaning up are removed by the next run."""

import importlib.util
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("devstack", ROOT / "scripts" / "devstack.py")
devstack = sys.modules["devstack"] = importlib.util.module_from_spec(_spec)  # dataclasses look it up there
_spec.loader.exec_module(devstack)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_folders_of_dead_test_runs_are_removed_and_live_ones_kept(tmp_path):
    dead = tmp_path / f"test-{_dead_pid()}"
    alive = tmp_path / f"test-{os.getpid()}"
    for folder in (dead / "redis", alive / "redis", tmp_path / "run" / "pg", tmp_path / "test-notes"):
        folder.mkdir(parents=True)

    removed = devstack.remove_stale_test_folders(tmp_path)

    assert removed == [dead] and not dead.exists()
    assert alive.exists() and (tmp_path / "run").exists() and (tmp_path / "test-notes").exists()


def _stop_leaked_redis(port: int) -> bool:
    """Terminate a redis-server still listening on `port` (only when the code under test leaked it)."""
    for conn in psutil.net_connections(kind="tcp"):
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
            process = psutil.Process(conn.pid)
            if "redis-server" in process.name():
                process.terminate()
                return True
    return False


def test_ctrl_c_while_the_servers_start_stops_them_and_removes_the_test_folder():
    # The database is this run's (so only Redis is embedded); the interrupt lands while Redis is starting.
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    run = subprocess.Popen([sys.executable, "scripts/devstack.py", "test", "--version"], cwd=ROOT, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = []
    for line in run.stdout:
        output.append(line)
        if match := re.search(r"starting Redis on 127\.0\.0\.1:(\d+)", line):
            run.send_signal(signal.SIGINT)
            port = int(match[1])
            break
    else:
        raise AssertionError("devstack never started Redis:\n" + "".join(output))
    # Not reading to the end: a leaked redis-server would hold the pipe open for ever.
    code = run.wait(timeout=60)
    run.stdout.close()

    leaked = _stop_leaked_redis(port)
    assert code == 130, "".join(output)
    assert not leaked, "the embedded Redis outlived the interrupted run"
    assert not (devstack.DATA / f"test-{run.pid}").exists()
