"""Isolation of model-written tests (bubblewrap): a suite whose tests (a) write outside their copy through ``sh -c``
and ``python -I``, (b) append to the source project through a child process, (c) connect to a server on the host's
127.0.0.1, (d) start 500 processes, (e) ignore SIGALRM and sleep forever, (f) allocate 30 GB, (g) start a detached
daemon. Each is stopped or refused; nothing outside the copy changes (the source tree and a marker directory hash
the same); the good tests keep their outcomes."""

from __future__ import annotations

import os
import socket
import threading
import time

from tenfold.projecttest import prompt
from tenfold.projecttest.project import fingerprint
from tenfold.projecttest.runner_python import run_python_suite
from tenfold.projecttest.sandbox import Limits, bubblewrap_reason
from tenfold.projecttest.toy import write_toy_project
from tests.lanes import skip_unless
from tests.projecttest.test_runner_python import _running

pytestmark = skip_unless(bubblewrap_reason() == "", "bwrap", f"no bubblewrap here: {bubblewrap_reason()}")

SUITE = """
import os
import signal
import subprocess
import sys
import time
import unittest

from calc.ops import add

MARKERS = {markers!r}
SOURCE = {source!r}
PORT = {port}
DAEMON = {daemon!r}


class Good(unittest.TestCase):
    def test_add(self):
        self.assertEqual(add(2, 3), 5)

    def test_writes_in_its_copy(self):
        with open("scratch.txt", "w") as fh:
            fh.write("fine")
        self.assertTrue(os.path.exists("scratch.txt"))


class Bad(unittest.TestCase):
    def test_a_shell_writes_outside(self):
        subprocess.run(["sh", "-c", f"echo x > {{MARKERS}}/shell.txt"], check=True)

    def test_a_isolated_python_writes_outside(self):
        code = f"open({{MARKERS + '/python.txt'!r}}, 'w').write('x')"
        subprocess.run([sys.executable, "-I", "-c", code], check=True)

    def test_b_appends_to_the_source(self):
        subprocess.run(["sh", "-c", f"echo 'x = 1' >> {{SOURCE}}/calc/ops.py"], check=True)

    def test_c_connects_to_the_host(self):
        code = f"import socket; socket.create_connection(('127.0.0.1', {{PORT}}), timeout=3)"
        subprocess.run([sys.executable, "-I", "-c", code], check=True)

    def test_d_starts_500_processes(self):
        kids = [subprocess.Popen(["sleep", "5"]) for _ in range(500)]
        self.assertEqual(len(kids), 500)

    def test_e_ignores_the_alarm(self):
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        time.sleep(10**6)

    def test_f_allocates_30_gb(self):
        block = bytearray(30 * 2**30)
        self.assertTrue(block)

    def test_g_starts_a_daemon(self):
        subprocess.Popen(["sleep", DAEMON], start_new_session=True, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        time.sleep(0.2)
        raise AssertionError("a daemon was started")
"""


def test_a_hostile_suite_is_contained(tmp_path):
    toy = write_toy_project(tmp_path / "proj")
    markers = tmp_path / "markers"
    markers.mkdir()
    (markers / "keep.txt").write_text("untouched")
    before = fingerprint(toy.root), fingerprint(markers)
    server = socket.create_server(("127.0.0.1", 0))
    connections: list[object] = []
    threading.Thread(target=lambda: connections.append(server.accept()), daemon=True).start()
    daemon = f"600.{os.getpid()}{time.monotonic_ns() % 10**6:06d}"
    text = SUITE.format(markers=str(markers), source=str(toy.root), port=server.getsockname()[1], daemon=daemon)
    rec = run_python_suite(
        toy,
        [prompt.TestFile("calc_test.py", text)],
        Limits(wall_s=120, processes=64, memory_mb=2048),
        test_timeout_s=1.0,
    )
    outcome = {t.name.rsplit("::", 1)[-1]: t.outcome for t in rec.tests}
    assert outcome["test_add"] == outcome["test_writes_in_its_copy"] == "passed", rec.output[-2000:]
    bad = [n for n in outcome if n.split("_")[1] in tuple("abcdefg")]
    assert len(bad) == 8 and all(outcome[n] != "passed" for n in bad), outcome
    assert "isolation: bubblewrap" in rec.notes
    assert any("test_e_ignores_the_alarm" in n for n in rec.notes if n.startswith("hard-killed"))
    assert (fingerprint(toy.root), fingerprint(markers)) == before
    assert not connections
    deadline = time.monotonic() + 5
    while _running(daemon) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(daemon), "the detached daemon outlived the sandbox"
    server.close()


def test_without_bubblewrap_the_record_says_fallback(tmp_path, monkeypatch):
    monkeypatch.setenv("TENFOLD_SANDBOX", "fallback")
    toy = write_toy_project(tmp_path / "proj")
    suite = "from calc.ops import add\n\n\ndef test_add():\n    assert add(1, 1) == 2\n"
    rec = run_python_suite(toy, [prompt.TestFile("calc_test.py", suite)])
    assert rec.n_passed == 1
    assert any(n.startswith("isolation: fallback") for n in rec.notes)
