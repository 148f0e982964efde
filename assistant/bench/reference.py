"""The fixed indexing reference (plain sentence-transformers) and the per-stage split of an `assistant index` run."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from assistant.bench import procs

# The plain sentence-transformers way, fixed so the ratio keeps its meaning (issue 17): import it, load
# the model, encode the texts the two-pass pipeline embedded (every chunk and every sentence), batch 32, CPU.
_REFERENCE_DRIVER = r"""
import json, os, sys
for key, value in {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}.items():
    os.environ.setdefault(key, value)
texts = json.load(open(sys.argv[1], encoding="utf-8"))
from sentence_transformers import SentenceTransformer
model = SentenceTransformer(sys.argv[2], device="cpu")
model.encode(texts, batch_size=32, show_progress_bar=False, convert_to_numpy=True, normalize_embeddings=True)
"""

# `assistant index` in-process with timers around each stage; the totals go to the file named last.
_STAGES_DRIVER = r"""
import atexit, json, sys, time
from collections import defaultdict

spent = defaultdict(float)
out = sys.argv.pop()
started = time.perf_counter()


def timed(owner, name, stage):
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[stage] += time.perf_counter() - began

    setattr(owner, name, wrapper)


class Proxy:
    def __init__(self, inner, method, stage):
        self._inner, self._method, self._stage = inner, method, stage

    def __getattr__(self, name):
        value = getattr(self._inner, name)
        if name != self._method:
            return value

        def call(*args, **kwargs):
            began = time.perf_counter()
            try:
                return value(*args, **kwargs)
            finally:
                spent[self._stage] += time.perf_counter() - began

        return call


from assistant.corpus import stream
from assistant.embedding import onnx_backend
from assistant.index import reconcile, writer
from assistant.text import quotations

timed(stream, "_load_document", "read")
timed(stream, "file_fingerprint", "read")
timed(reconcile, "chunk_article", "chunk")
timed(onnx_backend, "encoding_ranges", "tokenise")
timed(onnx_backend, "pool_batch", "pool")
timed(quotations, "extract_quotations", "quotations")
timed(writer.Writer, "embedder", "model load")
timed(writer.Writer, "_embed", "embed (all)")
timed(writer.Writer, "commit", "commit (all)")
plain_init = onnx_backend.OnnxEmbedder.__init__


def init(self, *args, **kwargs):
    plain_init(self, *args, **kwargs)
    self._session = Proxy(self._session, "run", "infer")
    self._tokenizer = Proxy(self._tokenizer, "encode_batch", "tokenise")


onnx_backend.OnnxEmbedder.__init__ = init


def report():
    spent["total (in process)"] = time.perf_counter() - started
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(dict(spent), handle)


atexit.register(report)
from assistant.cli import main

main(sys.argv[1:], prog_name="assistant")
"""


@dataclass(frozen=True)
class Stages:
    """Seconds of one instrumented `assistant index` run, by stage."""

    read: float
    chunk: float
    tokenise: float
    infer: float
    pool: float
    quotations: float
    write: float
    model_load: float
    other: float
    total: float
    """Wall time of the whole process (start-up and imports are in `other`)."""


def texts_of(corpus: Path) -> list[str]:
    """The texts the two-pass pipeline embedded for `corpus`: every chunk and every sentence, 'Title. text'."""
    from assistant.corpus.discovery import discover_files
    from assistant.corpus.stream import ArticleStream
    from assistant.text.chunking import chunk_article, passage_for_embedding

    texts: list[str] = []
    for path in discover_files(corpus):
        for article in ArticleStream(corpus, path):
            sentences, chunks = chunk_article(article.text, article.body_start)
            for piece in (*chunks, *sentences):
                texts.append(passage_for_embedding(article.title, article.date, article.text[piece.start : piece.end]))
    return texts


def reference_run(texts: list[str], workdir: Path) -> procs.Timed:
    """The sentence-transformers reference as a whole process (import, model load, encode)."""
    from assistant.embedding.base import default_model_path

    feed = workdir / "reference-texts.json"
    feed.write_text(json.dumps(texts), encoding="utf-8")
    return procs.run_timed([sys.executable, "-c", _REFERENCE_DRIVER, str(feed), str(default_model_path())], workdir)


def stage_run(corpus: Path, index: Path, backend: str, workdir: Path) -> Stages:
    """One `assistant index` run with timers around each stage (slower than an untimed run by the timers' cost)."""
    out = workdir / "stages.json"
    args = ["index", str(corpus), "--index", str(index), "--backend", backend]
    run = procs.run_timed([sys.executable, "-c", _STAGES_DRIVER, *args, str(out)], workdir)
    spent = json.loads(out.read_text(encoding="utf-8"))
    get = lambda name: float(spent.get(name, 0.0))  # noqa: E731
    tokenise, infer, pool = get("tokenise"), get("infer"), get("pool")
    embed_rest = get("embed (all)") - tokenise - infer - pool - get("model load")
    write = get("commit (all)") - get("embed (all)") - get("quotations")
    known = get("read") + get("chunk") + tokenise + infer + pool + get("quotations") + write + get("model load")
    return Stages(
        read=get("read"), chunk=get("chunk"), tokenise=tokenise + max(embed_rest, 0.0), infer=infer, pool=pool,
        quotations=get("quotations"), write=write, model_load=get("model load"), other=run.seconds - known, total=run.seconds,
    )
