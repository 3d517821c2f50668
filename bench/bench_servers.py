"""The libretranslate engine spread over 1, 2 and 4 local LibreTranslate servers: throughput ratios.

    WORKFLOW_LT_PYTHON=.venv-lt/bin/python python bench/bench_servers.py [--servers 1,2,4] [--texts 128] [--batch 8]

Starts real LibreTranslate servers (offline, as tests/test_engine_libretranslate.py does:
tests/libretranslate_server.py serving the tiny Argos zh→en package of
tests/argos_package.py), then, in one run, sends the same texts through the workflow
engine itself (`LibreTranslateEngine`, `url` = the N servers, `max-in-flight` = N)
and prints texts/s and the ratio to one server. Each server is warmed up first (the
first /translate loads the model).

The servers are CPU-bound: the ratios scale only up to the cores that are free. On a
busy 2-core machine, more local servers give no speed-up; a ratio above 1 needs servers
on other machines (or idle cores). What the bench shows on any machine: the batches are
spread (each server's share is printed) and nothing is lost.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
sys.path.insert(0, str(TESTS))

from libretranslate_server import wait_until_answering  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(home: Path) -> dict[str, str]:
    import argos_package

    packages = home / "packages"
    with zipfile.ZipFile(argos_package.build_package(home / "build")) as zf:
        zf.extractall(packages)
    data = home / "data"
    (data / "argos-translate").mkdir(parents=True)
    (data / "argos-translate" / "index.json").write_text("[]", encoding="utf-8")
    return {**os.environ, "ARGOS_PACKAGES_DIR": str(packages), "XDG_DATA_HOME": str(data), "HOME": str(home),
            "XDG_CACHE_HOME": str(home / "cache"), "XDG_CONFIG_HOME": str(home / "config"),
            "ARGOS_PACKAGE_INDEX": "http://127.0.0.1:9/", "ARGOS_BEAM_SIZE": "1", "OMP_NUM_THREADS": "1",
            "ARGOS_INTRA_THREADS": "1", "ARGOS_INTER_THREADS": "1"}


def start(python: str, env: dict[str, str], home: Path, n: int) -> list[tuple[subprocess.Popen[bytes], str]]:
    servers = []
    for _ in range(n):
        port = free_port()
        log = open(home / f"server-{port}.log", "wb")
        process = subprocess.Popen(
            [python, str(TESTS / "libretranslate_server.py"), "--host", "127.0.0.1", "--port", str(port),
             "--load-only", "zh,en", "--disable-web-ui", "--threads", "1"],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=home)
        servers.append((process, f"http://127.0.0.1:{port}"))
    for process, url in servers:
        if not wait_until_answering(url, process):
            raise SystemExit(f"{url} did not start; see {home}")
    return servers


def measure(urls: list[str], texts: list[str], batch: int, root: Path) -> tuple[float, dict[str, int]]:
    from workflow.config import load_settings
    from workflow.engines.libretranslate import LibreTranslateEngine

    flags = {"engine": "libretranslate", "libretranslate.url": urls, "libretranslate.batch-size": batch,
             "libretranslate.max-in-flight": len(urls), "libretranslate.timeout": 300.0}
    engine = LibreTranslateEngine(load_settings(root, overrides=flags))
    for url in urls:  # warm-up: the first /translate loads the model
        LibreTranslateEngine(load_settings(root, overrides={**flags, "libretranslate.url": [url]})).translate(texts[:1])
    start_time = time.perf_counter()
    out = engine.translate(texts)
    elapsed = time.perf_counter() - start_time
    assert len(out) == len(texts) and all(out)
    return len(texts) / elapsed, dict(engine.pool.served)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", default="1,2,4")
    parser.add_argument("--texts", type=int, default=128)
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args()
    python = os.environ.get("WORKFLOW_LT_PYTHON", sys.executable)
    home = Path(tempfile.mkdtemp(prefix="bench-servers-"))
    env = environment(home)
    root = home / "project"
    root.mkdir()
    texts = [f"OpenStack峰会在东京举行，第{i}天。" for i in range(args.texts)]
    print(f"{args.texts} texts, batch {args.batch}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    base = 0.0
    for n in [int(x) for x in args.servers.split(",")]:
        servers = start(python, env, home, n)
        try:
            rate, served = measure([url for _, url in servers], texts, args.batch, root)
        finally:
            for process, _ in servers:
                process.terminate()
            for process, _ in servers:
                process.wait(timeout=30)
        base = base or rate
        shares = " ".join(str(served[url]) for _, url in servers)
        print(f"{n} server(s): {rate:7.1f} texts/s  ratio to 1 server {rate / base:.2f}  batches per server: {shares}")


if __name__ == "__main__":
    main()
