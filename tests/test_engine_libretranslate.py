"""The libretranslate engine against HTTP servers on 127.0.0.1.

Most tests use a small server speaking LibreTranslate's documented API (`GET
/languages`, `POST /translate` with a list `q`, `{"error": ...}` on failures) that
renders answers the way LibreTranslate's HTML mode does (Beautiful Soup writes
`<x1/>` as `<x1></x1>`; text is entity-escaped). The test marked `libretranslate`
starts a real LibreTranslate server loaded with the tiny Argos package; it runs when
`libretranslate` is importable, or when WORKFLOW_LT_PYTHON names a Python that has it:

    WORKFLOW_LT_PYTHON=/tmp/lt-venv/bin/python pytest -m libretranslate
"""

from __future__ import annotations

import html
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from libretranslate_server import wait_until_answering

from workflow.config import load_settings
from workflow.engines.libretranslate import LibreTranslateEngine, clean
from workflow.errors import ConfigError, EngineFailed, EngineUnavailable
from workflow.store.post import parse
from workflow.text import skeleton

TESTS = Path(__file__).resolve().parent
LEAK = re.compile(r"</?[gx]\d+/?>")


class FakeLibreTranslate(ThreadingHTTPServer):
    """State of the fake server: what it answers, what it was asked."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[tuple[str, str, Any]] = []
        self.fail_next: list[int] = []  # statuses to answer the next POSTs with
        self.api_key: str | None = None  # when set, other keys get 403
        self.languages: list[dict[str, Any]] = [
            {"code": "en", "name": "English", "targets": ["en", "zh-Hans"]},
            {"code": "zh-Hans", "name": "Chinese", "targets": ["en", "zh-Hans"]},
        ]
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def posts(self) -> list[Any]:
        return [body for method, path, body in self.requests if method == "POST"]


def fake_translation(text: str) -> str:
    """Uppercase Latin letters, Chinese -> 'zh', as HTML the way Beautiful Soup writes it."""
    out = re.sub(r"[\u4e00-\u9fff]+", "zh", text)
    parts = re.split(r"(<[^>]+>)", out)
    rendered = []
    for part in parts:
        m = re.fullmatch(r"<x(\d+)/>", part)
        if m:
            rendered.append(f"<x{m.group(1)}></x{m.group(1)}>")
        elif part.startswith("<"):
            rendered.append(part)
        else:
            rendered.append(html.escape(part.upper(), quote=False))
    return "".join(rendered)


class Handler(BaseHTTPRequestHandler):
    server: FakeLibreTranslate

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, data: Any) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.requests.append(("GET", self.path, None))
        if self.path == "/languages":
            self._answer(200, self.server.languages)
        elif self.path == "/frontend/settings":
            self._answer(200, {"charLimit": -1, "apiKeys": self.server.api_key is not None})
        else:
            self._answer(404, {"error": "Not Found"})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.requests.append(("POST", self.path, body))
            status = self.server.fail_next.pop(0) if self.server.fail_next else 200
        if self.path != "/translate":
            return self._answer(404, {"error": "Not Found"})
        if status != 200:
            return self._answer(status, {"error": f"Cannot translate text: boom {status}"})
        if self.server.api_key is not None and body.get("api_key") not in (None, self.server.api_key):
            return self._answer(403, {"error": "Invalid API key"})
        if not body.get("q"):
            return self._answer(400, {"error": "Invalid request: missing q parameter"})
        q = body["q"]
        answer = [fake_translation(t) for t in q] if isinstance(q, list) else fake_translation(q)
        self._answer(200, {"translatedText": answer})


@pytest.fixture
def server() -> Iterator[FakeLibreTranslate]:
    srv = FakeLibreTranslate()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LibreTranslateEngine, "backoff", 0.0)


def engine(url: str, root: Path, **overrides: Any) -> LibreTranslateEngine:
    flags = {"engine": "libretranslate", "libretranslate.url": url, "libretranslate.timeout": 5.0, **overrides}
    return LibreTranslateEngine(load_settings(root, overrides=flags))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# -- the engine ------------------------------------------------------------------------------


def test_batches_of_batch_size(server: FakeLibreTranslate, empty_project: Path) -> None:
    eng = engine(server.url, empty_project, **{"libretranslate.batch-size": 4})
    texts = [f"第{i}句<x1/>AT&T" for i in range(10)]
    done: list[int] = []
    out = eng.translate(texts, done.append)
    assert out == [f"ZH{i}ZH<x1/>AT&T" for i in range(10)]
    posts = server.posts()
    assert [len(p["q"]) for p in posts] == [4, 4, 2]
    assert [t for p in posts for t in p["q"]] == texts
    assert all(p["source"] == "zh" and p["target"] == "en" and p["format"] == "html" for p in posts)
    assert all("api_key" not in p for p in posts)
    assert done == [4, 4, 2]
    assert [path for method, path, _ in server.requests if method == "GET"] == ["/languages", "/frontend/settings"]
    assert (eng.info.name, eng.info.model) == ("libretranslate", server.url.removeprefix("http://"))
    eng.translate(["再来"])
    assert len(server.requests) == 6  # the server is checked once per engine


def test_clean_folds_empty_tags_and_unescapes_only_what_the_server_added() -> None:
    assert clean("<x1></x1> and <x12></x12>", "") == "<x1/> and <x12/>"
    assert clean("<g2>AT&amp;T</g2> &lt;b&gt; &#39;q&#39;", "<g2>AT&T</g2>") == "<g2>AT&T</g2> <b> 'q'"
    # An entity the input holds literally (the pipeline masks real entities) is kept.
    assert clean("write &amp; here", "写 &amp; 这里") == "write &amp; here"


def test_api_key_is_sent_and_a_bad_one_explained(server: FakeLibreTranslate, empty_project: Path) -> None:
    server.api_key = "right"
    assert engine(server.url, empty_project, **{"libretranslate.api-key": "right"}).translate(["你好"]) == ["ZH"]
    assert server.posts()[-1]["api_key"] == "right"
    with pytest.raises(EngineUnavailable) as info:
        engine(server.url, empty_project, **{"libretranslate.api-key": "wrong"}).translate(["你好"])
    message = info.value.message
    assert "refused /translate (HTTP 403: Invalid API key)" in message
    assert "`api-key` in [tool.workflow.libretranslate]" in message
    assert "--api-key" in message and "WORKFLOW_LIBRETRANSLATE_API_KEY" in message


def test_other_4xx_is_not_retried(server: FakeLibreTranslate, empty_project: Path) -> None:
    server.fail_next = [400]
    with pytest.raises(EngineUnavailable, match=r"refused /translate \(HTTP 400: Cannot translate text: boom 400\)"):
        engine(server.url, empty_project).translate(["你好"])
    assert len(server.posts()) == 1


def test_5xx_is_retried_then_succeeds(server: FakeLibreTranslate, empty_project: Path) -> None:
    server.fail_next = [503, 500]
    eng = engine(server.url, empty_project, **{"libretranslate.retries": 2})
    assert eng.translate(["你好"]) == ["ZH"]
    assert len(server.posts()) == 3


def test_5xx_exhausted_is_engine_failed(server: FakeLibreTranslate, empty_project: Path) -> None:
    server.fail_next = [500, 502, 503]
    eng = engine(server.url, empty_project, **{"libretranslate.retries": 2})
    with pytest.raises(EngineFailed) as info:
        eng.translate(["你好"])
    assert "failed on /translate (HTTP 503: Cannot translate text: boom 503) after 3 tries" in info.value.message
    assert len(server.posts()) == 3


def test_unreachable_server_names_the_url(empty_project: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    eng = engine(url, empty_project, **{"libretranslate.retries": 1})
    with pytest.raises(EngineUnavailable) as info:
        eng.translate(["你好"])
    message = info.value.message
    assert f"cannot reach the LibreTranslate server at {url}" in message
    assert "2 tries" in message
    assert "libretranslate --host 127.0.0.1 --port 5000 --load-only zh,en" in message


def test_a_server_without_the_pair(server: FakeLibreTranslate, empty_project: Path) -> None:
    server.languages = [{"code": "en", "name": "English", "targets": ["fr"]}]
    with pytest.raises(EngineUnavailable, match="does not offer zh→en"):
        engine(server.url, empty_project).translate(["你好"])


def test_bad_urls_and_limits_are_config_errors(empty_project: Path) -> None:
    with pytest.raises(ConfigError, match="must be an http"):
        engine("127.0.0.1:5000", empty_project)
    with pytest.raises(ConfigError, match="batch-size >= 1"):
        engine("http://127.0.0.1:5000", empty_project, **{"libretranslate.batch-size": 0})


def test_constructing_contacts_no_server(empty_project: Path) -> None:
    eng = engine(f"http://127.0.0.1:{free_port()}", empty_project)
    assert eng.info.name == "libretranslate" and eng.requests == 0
    assert eng.translate([]) == []


# -- through the CLI -------------------------------------------------------------------------


def invoke(root: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    from workflow.cli import cli

    return CliRunner().invoke(cli, ["-C", str(root), *args], env=env, catch_exceptions=False)


def test_translate_command_with_flags_and_env(server: FakeLibreTranslate, project: Path) -> None:
    server.api_key = "k3y"
    result = invoke(project, "translate", "--engine", "libretranslate", "--libretranslate-url", server.url,
                    env={"WORKFLOW_LIBRETRANSLATE_API_KEY": "k3y"})
    assert result.exit_code == 0, result.output
    assert f"engine libretranslate {server.url.removeprefix('http://')}:" in result.output
    assert server.posts() and all(p["api_key"] == "k3y" for p in server.posts())
    assert len(server.posts()) == -(-sum(len(p["q"]) for p in server.posts()) // 32)
    for source in sorted((project / "source_zh").glob("*.md")):
        output = project / "output_en" / source.name
        zh = parse(source.read_bytes(), str(source)).body
        en = parse(output.read_bytes(), str(output)).body
        assert skeleton.difference(zh, en) == ""
        assert not LEAK.search(en)
    count = len(server.requests)
    again = invoke(project, "translate", "--engine", "libretranslate", "--libretranslate-url", server.url)
    assert again.exit_code == 0
    assert len(server.requests) == count  # nothing changed: the server is not even asked

    bad = invoke(project, "translate", "--engine", "libretranslate", "--libretranslate-url", server.url,
                 "--api-key", "nope", str(project / "source_zh/2017-05-08-openstack-boston-summit.md"))
    assert bad.exit_code == 0  # unchanged: no request needed
    (project / "output_en" / "2017-05-08-openstack-boston-summit.md").unlink()
    (project / "output_en" / ".workflow" / "2017-05-08-openstack-boston-summit.md.json").unlink()
    bad = invoke(project, "translate", "--engine", "libretranslate", "--libretranslate-url", server.url,
                 "--api-key", "nope", str(project / "source_zh/2017-05-08-openstack-boston-summit.md"))
    assert bad.exit_code == 2
    assert "HTTP 403: Invalid API key" in bad.output


def test_translate_command_unreachable(project: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = invoke(project, "translate", "--engine", "libretranslate", "--libretranslate-url", url)
    assert result.exit_code == 2
    assert f"cannot reach the LibreTranslate server at {url}" in result.output


# -- a real LibreTranslate server --------------------------------------------------------------


def lt_python() -> str:
    python = os.environ.get("WORKFLOW_LT_PYTHON")
    if python:
        return python
    pytest.importorskip("libretranslate")
    return sys.executable


@pytest.fixture(scope="module")
def real_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import argos_package

    python = lt_python()
    home = tmp_path_factory.mktemp("libretranslate")
    packages = home / "packages"
    with zipfile.ZipFile(argos_package.build_package(home / "build")) as zf:
        zf.extractall(packages)
    data = home / "data"
    (data / "argos-translate").mkdir(parents=True)
    (data / "argos-translate" / "index.json").write_text("[]", encoding="utf-8")
    env = {**os.environ, "ARGOS_PACKAGES_DIR": str(packages), "XDG_DATA_HOME": str(data), "HOME": str(home),
           "XDG_CACHE_HOME": str(home / "cache"), "XDG_CONFIG_HOME": str(home / "config"),
           "ARGOS_PACKAGE_INDEX": "http://127.0.0.1:9/", "ARGOS_BEAM_SIZE": "1"}
    port = free_port()
    log = open(home / "server.log", "wb")
    process = subprocess.Popen(
        [python, str(TESTS / "libretranslate_server.py"), "--host", "127.0.0.1", "--port", str(port),
         "--load-only", "zh,en", "--disable-web-ui", "--api-keys", "--api-keys-db-path", str(home / "keys.db")],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=home)
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_answering(url, process, poll=0.5):
            raise RuntimeError("LibreTranslate did not start:\n" + (home / "server.log").read_text())
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.mark.libretranslate
def test_real_libretranslate_server(real_server: str, project: Path) -> None:
    eng = engine(real_server, project, **{"libretranslate.batch-size": 2})
    texts = ["请参见<x1/>和<g2>部署指南</g2>。", "OpenStack峰会在东京举行。", "AT&T很好"]
    out = eng.translate(texts)
    assert len(out) == 3 and all(isinstance(t, str) and t for t in out)
    assert "<x1/>" in out[0] and "<x1></x1>" not in out[0]  # Beautiful Soup's <x1></x1> folded back
    assert "&amp;" not in out[2]
    with pytest.raises(EngineUnavailable, match="Invalid API key"):
        engine(real_server, project, **{"libretranslate.api-key": "wrong"}).translate(["你好"])

    # One article: the random model never ends a sentence, and the server decodes 256 tokens for each,
    # so a batch can take a minute on a loaded machine: the timeout is generous (this is not a speed test).
    config = project / "pyproject.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[tool.workflow.libretranslate]\ntimeout = 600\n",
                      encoding="utf-8")
    article = project / "source_zh" / "2016-10-26-openstack-barcelona-summit-day-2.md"
    result = invoke(project, "translate", "--engine", "libretranslate", "--libretranslate-url", real_server, str(article))
    assert result.exit_code == 0, result.output
    for source in [article]:
        output = project / "output_en" / source.name
        zh = parse(source.read_bytes(), str(source)).body
        en = parse(output.read_bytes(), str(output)).body
        assert skeleton.difference(zh, en) == ""
        assert not LEAK.search(en)


# -- several servers ---------------------------------------------------------------------------


def slowly(answer: Any) -> Any:
    def late(request: Any, address: Any) -> None:
        time.sleep(0.2)
        answer(request, address)

    return late


def test_batches_spread_over_servers_and_a_stopped_one_is_finished_on_the_others(empty_project: Path) -> None:
    servers = [FakeLibreTranslate() for _ in range(3)]
    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    victim = servers[1]
    original = victim.finish_request

    def stop_after_two(request: Any, address: Any) -> None:
        if len(victim.posts()) >= 2:
            request.close()  # the server is gone: its connection drops without an answer
            return
        original(request, address)

    victim.finish_request = stop_after_two  # type: ignore[method-assign]
    for srv in (servers[0], servers[2]):  # the others answer slowly, so the victim is sure to get a third batch
        srv.finish_request = slowly(srv.finish_request)  # type: ignore[method-assign]
    try:
        texts = [f"第{i}句" for i in range(30)]
        eng = engine(",".join(s.url for s in servers), empty_project,
                     **{"libretranslate.batch-size": 2, "libretranslate.max-in-flight": 3, "libretranslate.retries": 1})
        assert eng.translate(texts) == [f"ZH{i}ZH" for i in range(30)]
        assert list(eng.pool.down) == [victim.url]
        answered = [t for s in servers for p in s.posts() for t in p["q"]]
        assert sorted(answered) == sorted(texts)  # each batch answered once: nothing lost or translated twice
        assert all(eng.pool.served[s.url] > 0 for s in servers)
        assert eng.info.model == ",".join(s.url.removeprefix("http://") for s in servers)
    finally:
        for srv in servers:
            srv.shutdown()
            srv.server_close()
