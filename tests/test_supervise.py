"""scripts/supervise.sh, which `make run` starts the worker, beat and web server under: a process
that exits is started again, and stopping the supervisor stops the process."""

import os
import signal
import subprocess
import time
from pathlib import Path

SUPERVISE = Path(__file__).resolve().parent.parent / "scripts" / "supervise.sh"


def wait_for(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_a_process_that_exits_is_started_again_and_the_restart_is_logged(tmp_path):
    starts = tmp_path / "starts"
    supervisor = subprocess.Popen(
        [str(SUPERVISE), "crasher", "sh", "-c", f"echo started >> {starts}; exit 3"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: starts.exists() and len(starts.read_text().splitlines()) >= 2)
    finally:
        supervisor.send_signal(signal.SIGTERM)
        _, log = supervisor.communicate(timeout=10)
    assert "crasher exited with status 3; starting it again in 1s" in log
    assert supervisor.returncode == 0


def test_stopping_the_supervisor_stops_its_process(tmp_path):
    pid_file = tmp_path / "pid"
    supervisor = subprocess.Popen(
        [str(SUPERVISE), "sleeper", "sh", "-c", f"echo $$ > {pid_file}; exec sleep 600"]
    )
    wait_for(lambda: pid_file.exists() and pid_file.read_text().strip())
    child = int(pid_file.read_text())

    supervisor.send_signal(signal.SIGTERM)
    assert supervisor.wait(timeout=10) == 0

    def gone() -> bool:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return True
        return False

    wait_for(gone)
