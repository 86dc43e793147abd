"""Generators (OpenAI-compatible client against a local fake server, replay) and sweeps that never abort."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from tenfold.projecttest.generators import OpenAIChat, Replay, Reply
from tenfold.projecttest.metrics import aggregate
from tenfold.projecttest.prompt import SELF_FIX, build_messages
from tenfold.projecttest.sweep import SweepConfig, load_records, run_sweep
from tenfold.projecttest.toy import REPLIES, write_toy_project


class FakeServer:
    """An OpenAI-compatible endpoint on 127.0.0.1 that records requests and answers from a script."""

    def __init__(self, answers):
        self.requests: list[dict] = []
        self.answers = list(answers)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                status, payload = outer.answers.pop(0) if outer.answers else (500, {"error": "no more answers"})
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()


def completion(text: str, finish: str = "stop") -> tuple[int, dict]:
    return 200, {
        "choices": [{"message": {"role": "assistant", "content": text}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 123, "completion_tokens": 45},
    }


@pytest.fixture
def toy(tmp_path):
    return write_toy_project(tmp_path / "projects")


def test_openai_client_sends_temperature_zero_model_and_messages(toy, monkeypatch):
    server = FakeServer([completion(REPLIES["A"])])
    monkeypatch.setenv("FAKE_KEY", "sk-test")
    try:
        gen = OpenAIChat("fake-model", base_url=server.url, api_key_env="FAKE_KEY")
        messages = build_messages(toy)
        reply = gen.generate(messages, toy.name)
    finally:
        server.close()
    (req,) = server.requests
    assert req["path"] == "/v1/chat/completions" and req["auth"] == "Bearer sk-test"
    assert req["body"]["temperature"] == 0 and req["body"]["model"] == "fake-model"
    assert req["body"]["messages"] == messages
    assert messages[1]["content"].startswith("# calc.Py\n'''\ncalc/__init__.py\n'''\n")
    assert (reply.text, reply.prompt_tokens, reply.completion_tokens, reply.error) == (REPLIES["A"], 123, 45, "")


def test_openai_client_retries_then_records_errors(toy):
    server = FakeServer([(503, {"error": "busy"}), completion("ok", "length"), (400, {"error": "bad request"})])
    try:
        gen = OpenAIChat("m", base_url=server.url, retries=2, backoff_s=0.01)
        first = gen.generate(build_messages(toy))
        second = gen.generate(build_messages(toy))
    finally:
        server.close()
    assert first.text == "ok" and first.truncated and len(server.requests) == 3
    assert second.text == "" and second.error.startswith("HTTP 400")  # a client error is not retried
    dead = OpenAIChat("m", base_url="http://127.0.0.1:9/v1", retries=0, timeout_s=2).generate(build_messages(toy))
    assert dead.error.startswith("request failed")


class Scripted:
    """A generator with fixed replies per call (vanilla, then self-fix rounds)."""

    name = "scripted"

    def __init__(self, replies):
        self.replies, self.calls = list(replies), []

    def generate(self, messages, project=""):
        self.calls.append(messages)
        return self.replies.pop(0) if self.replies else Reply(error="no more replies")


def test_scenarios_on_a_cascade(toy, tmp_path):
    gen = Scripted([Reply(REPLIES["D"]), Reply(REPLIES["A"])])
    records = run_sweep([toy], gen, tmp_path / "run", SweepConfig(test_timeout_s=5))
    by = {r.scenario: r for r in records}
    assert by["vanilla"].cascades == {"NameError: name 'np' is not defined": 3}
    assert by["manual"].n_passed == 4 and any("import numpy as np" in n for n in by["manual"].notes)
    assert by["self_fix"].n_passed == 4
    fix_prompt = gen.calls[1][-1]["content"]
    assert fix_prompt.startswith("Here are the error messages from the tests:\n") and "NameError" in fix_prompt
    assert fix_prompt.endswith(SELF_FIX.split("{errors}")[1])


def test_bad_inputs_are_recorded_and_the_sweep_goes_on(toy, tmp_path):
    gen = Scripted([Reply("I cannot write tests for this."), Reply(error="timed out")])
    other = write_toy_project(tmp_path / "more", name="calc2")
    records = run_sweep([toy, other], gen, tmp_path / "run", SweepConfig(scenarios=("vanilla",)))
    reasons = sorted(r.reason for r in records)
    assert reasons == ["generator: timed out", "the reply has no code block"]
    assert aggregate(records)["executability"] == 0.0


def test_replay_runs_are_identical_and_resume(toy, tmp_path):
    src = tmp_path / "replies.jsonl"
    src.write_text(json.dumps({"project": "calc", "reply": REPLIES["C"]}) + "\n")
    cfg = SweepConfig(scenarios=("vanilla", "manual"))

    def clean(path: Path) -> list[dict]:
        rows = [r.to_dict() for r in load_records(path)]
        for r in rows:
            r.pop("run_s"), r.pop("latency_s")
        return rows

    run_sweep([toy], Replay(str(src)), tmp_path / "r1", cfg)
    run_sweep([toy], Replay(str(src)), tmp_path / "r2", cfg)
    assert clean(tmp_path / "r1" / "records.jsonl") == clean(tmp_path / "r2" / "records.jsonl")
    again = run_sweep([toy], Replay(str(src)), tmp_path / "r1", cfg)  # resumes: nothing new to do
    assert len(again) == 2 and len((tmp_path / "r1" / "records.jsonl").read_text().splitlines()) == 2


def test_ray_executor_gives_the_same_records(toy, tmp_path, ray_session):
    src = tmp_path / "replies.jsonl"
    other = write_toy_project(tmp_path / "more", name="calc2")
    rows = [
        {"project": "calc", "reply": REPLIES["C"]},
        {"project": "calc2", "reply": REPLIES["C"].replace("calc.", "calc2.")},
    ]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))

    def outcomes(records):
        return sorted((r.project, r.n_tests, r.n_passed, r.line_coverage) for r in records)

    threads = run_sweep([toy, other], Replay(str(src)), tmp_path / "t", SweepConfig(("vanilla",), workers=2))
    cfg = SweepConfig(("vanilla",), workers=2, executor="ray")
    on_ray = run_sweep([toy, other], Replay(str(src)), tmp_path / "r", cfg)
    assert outcomes(threads) == outcomes(on_ray)
    assert [(p, n, k) for p, n, k, _ in outcomes(on_ray)] == [("calc", 4, 2), ("calc2", 4, 2)]
    assert len((tmp_path / "r" / "records.jsonl").read_text().splitlines()) == 2


def test_prompt_size_is_estimated_and_an_oversized_prompt_is_refused_before_sending(toy, tmp_path):
    from tenfold.lm.tokenization import gpt2_tokenizer
    from tenfold.projecttest.generators import estimate_prompt_tokens

    messages = build_messages(toy)
    tok = gpt2_tokenizer()
    n = estimate_prompt_tokens(messages)
    assert n == sum(4 + len(tok(m["content"])["input_ids"]) for m in messages)
    server = FakeServer([completion("unused")])
    try:
        reply = OpenAIChat("m", base_url=server.url, max_tokens=100, context=n + 99).generate(messages, toy.name)
    finally:
        server.close()
    assert server.requests == [] and reply.prompt_tokens == n and reply.tokens_estimated
    assert f"about {n} tokens + 100 completion tokens exceeds the {n + 99}-token context" in reply.error
    stored = tmp_path / "replies.jsonl"
    stored.write_text(json.dumps({"project": toy.name, "reply": REPLIES["A"]}) + "\n")
    assert Replay(str(stored)).generate(messages, toy.name).prompt_tokens == n
