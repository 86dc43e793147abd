"""`tenfold reproduce` killed with SIGKILL in the middle of its third system, then re-run (slow: three real test-preset
reproductions in a fresh cache, about a minute): the report written before the kill lists the finished systems, the
re-run reads them from the cache instead of recomputing them, and every figure equals an uninterrupted run's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.slow

SYSTEMS = ("zweistein", "projecttest", "flowreason")


def _figures(out):
    return {
        s: [r["ours"] for r in json.loads(next((out / s).glob("*/reproduction.json")).read_text())["results"]]
        for s in SYSTEMS
    }


def test_kill_9_in_the_third_system_then_resume(tmp_path):
    env = {**os.environ, "TENFOLD_CACHE": str(tmp_path / "cache"), "TENFOLD_PROGRESS": "0"}
    cmd = [sys.executable, "-m", "tenfold", "reproduce", *SYSTEMS, "--preset", "test", "--out-dir"]
    log = tmp_path / "killed.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen([*cmd, str(tmp_path / "killed")], env=env, stderr=fh, stdout=subprocess.DEVNULL)
        deadline = time.time() + 300
        while "[3/3] flowreason" not in log.read_text() and time.time() < deadline:
            time.sleep(0.1)
        time.sleep(3)  # into the third system's work
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    report = (tmp_path / "killed" / "report.md").read_text()
    assert "| zweistein |" in report and "claims hold" in report.split("| zweistein |")[1].split("\n")[0]
    assert "| flowreason |" in report and "pending" in report.split("| flowreason |")[1].split("\n")[0]
    resumed = subprocess.run([*cmd, str(tmp_path / "killed")], env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert "[1/3] zweistein: preset test (cached)" in resumed.stderr
    assert "[2/3] projecttest: preset test (cached)" in resumed.stderr
    full_env = {**env, "TENFOLD_CACHE": str(tmp_path / "cache-uninterrupted")}
    full = subprocess.run([*cmd, str(tmp_path / "full")], env=full_env, capture_output=True, text=True, timeout=600)
    assert full.returncode == 0, full.stderr
    assert _figures(tmp_path / "killed") == _figures(tmp_path / "full")
