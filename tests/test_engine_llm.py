"""The llm engine against OpenAI-compatible servers: real processes on 127.0.0.1.

Most tests use `tests/llm_server.py`, a stand-in that speaks the chat-completions
protocol with a deterministic fake translation and injects faults (not a model: it
proves what the engine sends and how it takes broken answers). The test marked
`llama` runs llama.cpp's real server (llama-cpp-python) on a tiny model the test
writes with `gguf`: see tests/test_engine_llama.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from workflow.config import load_settings
from workflow.engines.hints import Hints
from workflow.engines.llm import LLMEngine
from workflow.errors import ConfigError, EngineUnavailable
from workflow.store.memory import parse as parse_memory

TESTS = Path(__file__).resolve().parent


class Server:
    """One tests/llm_server.py process."""

    def __init__(self, state: Path, *args: str) -> None:
        self.state = state
        self.process = subprocess.Popen([sys.executable, str(TESTS / "llm_server.py"), "--state", str(state), *args])
        deadline = time.monotonic() + 30
        while not (state / "port").exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the stand-in server did not start")
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{(state / 'port').read_text()}/v1"

    def faults(self, *faults: dict[str, Any]) -> None:
        request = urllib.request.Request(self.url.removesuffix("/v1") + "/_faults", data=json.dumps(faults).encode(),
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=5).read()

    def _lines(self, name: str) -> list[Any]:
        path = self.state / name
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []

    def requests(self) -> list[dict[str, Any]]:
        return self._lines("requests.jsonl")

    def answered(self) -> list[str]:
        return [a["zh"] for a in self._lines("answered.jsonl")]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def make(*args: str) -> Server:
        server = Server(tmp_path / f"server{len(servers)}", *args)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LLMEngine, "backoff", 0.0)


def engine(urls: list[str] | str, root: Path, **overrides: Any) -> LLMEngine:
    flags = {"engine": "llm", "llm.url": urls, "llm.model": "house-model", "llm.timeout": 10.0, **overrides}
    return LLMEngine(load_settings(root, overrides=flags))


def user_segments(request: dict[str, Any]) -> list[dict[str, Any]]:
    user = next(m["content"] for m in request["body"]["messages"] if m["role"] == "user")
    segments: list[dict[str, Any]] = json.loads(user)["segments"]
    return segments


def system_text(request: dict[str, Any]) -> str:
    return str(next(m["content"] for m in request["body"]["messages"] if m["role"] == "system"))


TEXTS = ["部署<g1001>container</g1001>。", "请参见<x1/>和<x1002/>。", "第三句。", "第四句<x1/>。"]
EXPECTED = ["zh <g1001>container</g1001>.", "zh <x1/> zh <x1002/>.", "zh.", "zh <x1/>."]
TERMS = {TEXTS[0]: (("<g1001>", "容器", "container"),), TEXTS[1]: (("<x1002/>", "新星", "Nova"),)}


# -- what a request carries --------------------------------------------------------------------


def test_a_request_carries_ids_placeholders_glossary_and_examples(start: Callable[..., Server], empty_project: Path) -> None:
    server = start()
    eng = engine(server.url, empty_project, **{"llm.batch-size": 4, "llm.temperature": 0.2})
    eng.hints = Hints(terms=TERMS, examples=lambda texts: [("旧的句子。", "An old sentence, reviewed.")] * 5)
    out = eng.translate(TEXTS)
    assert out == EXPECTED
    [request] = server.requests()
    body = request["body"]
    assert (body["model"], body["temperature"], body["stream"]) == ("house-model", 0.2, False)
    assert body["response_format"] == {"type": "json_object"}
    assert [s["id"] for s in user_segments(request)] == ["s1", "s2", "s3", "s4"]
    assert [s["zh"] for s in user_segments(request)] == TEXTS
    assert user_segments(request)[1]["placeholders"] == ["<x1/>", "<x1002/>"]
    system = system_text(request)
    assert "- 容器 → container" in system and "- 新星 → Nova (written <x1002/>)" in system
    assert "copy every placeholder" in system.lower()
    assert system.count("An old sentence, reviewed.") == 3  # `examples` (3) of them
    assert not request["authorized"]  # no key configured: no Authorization header
    assert (eng.info.name, eng.info.model, eng.info.version) == ("llm", "house-model", "prompt 1")
    assert eng.failures == {}


def test_the_schema_format_fixes_each_id(start: Callable[..., Server], empty_project: Path) -> None:
    server = start()
    engine(server.url, empty_project, **{"llm.response-format": "json_schema"}).translate(["一。", "二。"])
    fmt = server.requests()[0]["body"]["response_format"]
    assert fmt["type"] == "json_schema"
    items = fmt["json_schema"]["schema"]["properties"]["translations"]["prefixItems"]
    assert [item["properties"]["id"]["const"] for item in items] == ["s1", "s2"]


# -- broken answers ------------------------------------------------------------------------------


def test_a_dropped_segment_is_retried_alone(start: Callable[..., Server], empty_project: Path) -> None:
    server = start()
    server.faults({"kind": "drop"})
    out = engine(server.url, empty_project, **{"llm.batch-size": 4}).translate(TEXTS)
    assert out == EXPECTED
    requests = server.requests()
    # the batch, then the dropped segment and the one before it (it may hold both: a merge), each alone
    assert [[s["zh"] for s in user_segments(r)] for r in requests] == [TEXTS, [TEXTS[2]], [TEXTS[3]]]


@pytest.mark.parametrize("kind", ["reorder", "merge"])
def test_reordered_and_merged_answers_are_detected(kind: str, start: Callable[..., Server], empty_project: Path) -> None:
    server = start()
    server.faults({"kind": kind})
    out = engine(server.url, empty_project, **{"llm.batch-size": 4}).translate(TEXTS)
    assert out == EXPECTED
    retried = [[s["zh"] for s in user_segments(r)] for r in server.requests()[1:]]
    assert retried and all(len(batch) == 1 for batch in retried)
    if kind == "reorder":  # s2 came first: s1, after it, is out of place
        assert retried == [[TEXTS[0]]]
    else:  # s2 was swallowed by s1: both again, alone
        assert retried == [[TEXTS[0]], [TEXTS[1]]]


def test_what_still_fails_is_returned_as_its_input_and_listed(start: Callable[..., Server], empty_project: Path) -> None:
    server = start()
    server.faults({"kind": "garbage", "match": "第三句", "sticky": True})
    eng = engine(server.url, empty_project, **{"llm.batch-size": 4, "llm.retries": 1})
    out = eng.translate(TEXTS)
    assert out[2] == TEXTS[2]  # never passed off as a translation
    assert out[0] == EXPECTED[0] and out[3] == EXPECTED[3]
    assert list(eng.failures) == [TEXTS[2]]
    assert "after 2 tries alone (the answer is not JSON)" in eng.failures[TEXTS[2]]


# -- HTTP: rate limits, keys, dead servers -------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(status: int, start: Callable[..., Server], empty_project: Path) -> None:
    server = start()
    server.faults({"kind": "status", "status": status, "retry_after": 1})
    assert engine(server.url, empty_project).translate(["你好"]) == ["zh"]
    first, second = server.requests()
    assert second["time"] - first["time"] >= 0.9  # backoff is 0 in tests: only Retry-After explains the wait


def test_a_refused_key_is_explained_and_never_shown(start: Callable[..., Server], empty_project: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    server = start("--api-key", "right-key")
    monkeypatch.setenv("HOUSE_LLM_KEY", "right-key")
    eng = engine(server.url, empty_project, **{"llm.api-key-env": "HOUSE_LLM_KEY"})
    assert eng.translate(["你好"]) == ["zh"] and server.requests()[-1]["authorized"]
    with pytest.raises(EngineUnavailable) as info:
        engine(server.url, empty_project, **{"llm.api-key": "sk-wrong-secret"}).translate(["你好"])
    message = info.value.message
    assert "HTTP 401" in message and "--llm-api-key" in message and "api-key-env" in message
    assert "sk-wrong-secret" not in message and "***" in message  # the server echoed it; masked
    assert len(server.requests()) == 2  # a refused key is not retried


def test_a_killed_server_is_survived_and_nothing_is_translated_twice(start: Callable[..., Server],
                                                                      empty_project: Path) -> None:
    servers = [start("--delay", "0.05") for _ in range(3)]
    servers[1].faults({"kind": "kill", "skip": 2})  # answers two batches, then dies on the third
    texts = [f"句子 {n}。" for n in range(24)]
    eng = engine([s.url for s in servers], empty_project, **{"llm.batch-size": 2, "llm.max-in-flight": 3})
    done: list[int] = []
    out = eng.translate(texts, done.append)
    assert out == [fake(t) for t in texts]
    assert servers[1].process.wait(timeout=5) == -9  # it really died mid-run
    assert list(eng.pool.down) == [servers[1].url]
    answered = Counter(zh for s in servers for zh in s.answered())
    assert answered == Counter(texts)  # each sentence answered once, by one server
    assert sum(done) == len(texts)
    assert all(eng.pool.served[s.url] > 0 for s in servers)  # the batches were spread


def fake(text: str) -> str:
    import llm_server

    return llm_server.fake_english(text)


def test_no_server_left_is_an_error_that_names_the_url(empty_project: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    with pytest.raises(EngineUnavailable, match=f"cannot reach the LLM server at {url}"):
        engine(url, empty_project, **{"llm.retries": 0}).translate(["你好"])


# -- settings ------------------------------------------------------------------------------------


def test_settings_are_checked_and_a_key_never_comes_from_a_file(empty_project: Path) -> None:
    with pytest.raises(ConfigError, match="needs `model`"):
        LLMEngine(load_settings(empty_project, overrides={"engine": "llm"}))
    with pytest.raises(ConfigError, match="response-format"):
        engine("http://127.0.0.1:9/v1", empty_project, **{"llm.response-format": "yaml"})
    (empty_project / "pyproject.toml").write_text('[tool.workflow.llm]\napi-key = "sk-1"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="api-key-env") as info:
        load_settings(empty_project)
    assert "sk-1" not in str(info.value)
    assert "sk-2" not in repr(load_settings(empty_project.parent, overrides={"llm.api-key": "sk-2"}))


def test_constructing_contacts_no_server(empty_project: Path) -> None:
    eng = engine("http://127.0.0.1:9/v1", empty_project)
    assert eng.requests == 0 and eng.translate([]) == []


def test_instructions_change_the_prompt_version(empty_project: Path) -> None:
    plain = engine("http://127.0.0.1:9/v1", empty_project).info
    house = engine("http://127.0.0.1:9/v1", empty_project, **{"llm.instructions": "Use US spelling."}).info
    assert plain.model_hash != house.model_hash and house.version.startswith("prompt 1+")


# -- through the CLI -----------------------------------------------------------------------------


def invoke(root: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    from workflow.cli import cli

    return CliRunner().invoke(cli, ["-C", str(root), *args], env=env, catch_exceptions=False)


ARTICLE = "2017-05-08-openstack-boston-summit.md"


def memory_of(project: Path) -> Any:
    path = project / "output_en" / ".workflow" / (ARTICLE + ".json")
    return parse_memory(path.read_bytes(), str(path))


def test_translate_with_the_glossary_a_failure_and_a_killed_server(start: Callable[..., Server], project: Path) -> None:
    servers = [start(), start()]
    servers[0].faults({"kind": "kill"})  # dies on its first request
    servers[1].faults({"kind": "garbage", "match": "下面是本次", "sticky": True})
    urls = ",".join(s.url for s in servers)
    result = invoke(project, "translate", "--engine", "llm", "--llm-url", urls, "--llm-model", "m1",
                    "--max-in-flight", "2", str(project / "source_zh" / ARTICLE))
    assert result.exit_code == 0, result.output
    memory = memory_of(project)
    machine = [r for r in memory.segments if r.engine == "llm"]
    assert machine and {(r.model, r.version) for r in machine} == {("m1", "prompt 1")}
    failed = [r for r in memory.segments if "the engine gave no translation for a sentence; its Chinese is kept" in r.reasons]
    assert failed and all(r.status == "needs-review" and "下面是本次" in r.machine for r in failed)
    assert "no translation for" in result.output  # the run's warning says why
    sent = [s["zh"] for r in servers[1].requests() for s in user_segments(r)]
    systems = "".join(system_text(r) for r in servers[1].requests())
    assert "- 峰会 → Summit" in systems and "- 波士顿 → Boston (written <x" in systems  # the glossary, as required
    answered = servers[1].answered()
    assert len(answered) == len(set(answered))  # each sentence answered once
    assert set(answered) <= set(sent)

    # another model: its segments are model-stale, and translate re-translates them
    again = invoke(project, "translate", "--engine", "llm", "--llm-url", servers[1].url, "--llm-model", "m2",
                   str(project / "source_zh" / ARTICLE))
    assert again.exit_code == 0, again.output
    assert {r.model for r in memory_of(project).segments if r.engine == "llm"} == {"m2"}
