"""The llm engine against llama.cpp's real OpenAI-compatible server (llama-cpp-python[server]).

The server serves a tiny random-weight GGUF model the test writes (`tests/tiny_gguf.py`),
so its English is noise: the tests pin the protocol, never the text. What a real server
proves here: it accepts the engine's requests (messages, response format with the
JSON schema, max_tokens), its grammar-constrained answers parse with every id in order,
an answer cut off at max-tokens is caught and retried alone, then flagged; a refused key
is a clear error; and a server killed mid-run is survived by the others. Faults a real
server cannot be made to give on demand (429/503 with Retry-After, dropped, merged or
reordered segments) are in tests/test_engine_llm.py, against the stand-in.

Runs when WORKFLOW_LLAMA_PYTHON names a Python with llama-cpp-python[server] (.ci/run
builds one into .venv-llama):

    WORKFLOW_LLAMA_PYTHON=.venv-llama/bin/python pytest -m llama
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from workflow.config import load_settings
from workflow.engines.llm import LLMEngine
from workflow.errors import EngineUnavailable

pytestmark = pytest.mark.llama
TEXTS = ["OpenStack峰会在东京举行。", "请参见<x1/>和<g2>部署指南</g2>。", "开发者社区", "存储网络", "镜像服务"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Llama:
    def __init__(self, python: str, model: Path, log: Path, *extra: str) -> None:
        port = free_port()
        self.log = log
        self.process = subprocess.Popen(
            [python, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "tiny", "--host", "127.0.0.1",
             "--port", str(port), "--n_ctx", "4096", "--n_threads", "1", "--n_threads_batch", "1", "--seed", "0",
             "--verbose", "false", *extra], stdout=open(log, "wb"), stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}/v1"

    def wait(self) -> Llama:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(self.url + "/models", timeout=2).read()
                return self
            except urllib.error.HTTPError:
                return self  # 401 with --api_key: it is up
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("llama_cpp.server did not start:\n" + self.log.read_text()) from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def start(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Llama]]:
    python = os.environ.get("WORKFLOW_LLAMA_PYTHON")
    if not python:
        pytest.skip("WORKFLOW_LLAMA_PYTHON names no Python with llama-cpp-python[server]")
    import tiny_gguf

    home = tmp_path_factory.mktemp("llama")
    model = tiny_gguf.write(home / "tiny.gguf")
    servers: list[Llama] = []

    def make(*extra: str) -> Llama:
        servers.append(Llama(python, model, home / f"server{len(servers)}.log", *extra))
        return servers[-1]

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def pair(start: Callable[..., Llama]) -> list[Llama]:
    servers = [start(), start()]
    return [s.wait() for s in servers]


def engine(urls: list[str], root: Path, **overrides: Any) -> LLMEngine:
    flags = {"engine": "llm", "llm.url": urls, "llm.model": "tiny", "llm.response-format": "json_object_schema",
             "llm.max-tokens": 1024, "llm.timeout": 60.0, "llm.retries": 1, "llm.batch-size": 2, **overrides}
    eng = LLMEngine(load_settings(root, overrides=flags))
    eng.backoff = 0.0
    return eng


def test_a_real_server_answers_every_id_in_order(pair: list[Llama], empty_project: Path) -> None:
    eng = engine([pair[0].url], empty_project)
    out = eng.translate(TEXTS)
    assert len(out) == len(TEXTS) and all(isinstance(t, str) for t in out)
    # the grammar fixes each id by position: every segment came back from its batch, none retried
    assert eng.failures == {} and eng.requests == 3


def test_an_answer_cut_off_at_max_tokens_is_retried_alone_then_flagged(pair: list[Llama], empty_project: Path) -> None:
    eng = engine([pair[0].url], empty_project, **{"llm.max-tokens": 8})
    out = eng.translate(TEXTS[:2])
    assert out == TEXTS[:2]  # nothing passed off as a translation
    assert set(eng.failures) == set(TEXTS[:2])
    assert all("cut off at max-tokens" in why for why in eng.failures.values())
    assert eng.requests == 1 + 2 * 2  # the batch, then each segment alone, twice (retries = 1)


def test_a_refused_key(start: Callable[..., Llama], empty_project: Path) -> None:
    server = start("--api_key", "right").wait()
    assert len(engine([server.url], empty_project, **{"llm.api-key": "right"}).translate(TEXTS[:1])) == 1
    with pytest.raises(EngineUnavailable, match="HTTP 401") as info:
        engine([server.url], empty_project, **{"llm.api-key": "wrong-secret"}).translate(TEXTS[:1])
    assert "wrong-secret" not in info.value.message
    server.stop()


def test_a_server_killed_mid_run_is_survived(start: Callable[..., Llama], pair: list[Llama],
                                            empty_project: Path) -> None:
    victim = start().wait()
    texts = [f"{t}{n}" for n in range(6) for t in TEXTS[2:]]
    eng = engine([victim.url, pair[1].url], empty_project, **{"llm.batch-size": 1, "llm.max-in-flight": 2})
    done: list[int] = []

    def progress(n: int) -> None:
        done.append(n)
        if len(done) == 2:
            victim.process.kill()  # mid-run, with a request of the run in flight or about to be

    out = eng.translate(texts, progress)
    assert len(out) == len(texts) and sum(done) == len(texts)
    assert victim.url in eng.pool.down
    assert eng.pool.served[pair[1].url] >= len(texts) - eng.pool.served[victim.url]
