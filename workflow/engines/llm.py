"""`llm`: a large language model behind an OpenAI-compatible chat-completions endpoint.

vLLM, Ollama, llama.cpp's server, LM Studio, TGI and the hosted APIs (DeepSeek, Qwen,
OpenAI) all speak it: `POST {url}/chat/completions`. Standard library only (urllib).

Each batch of `batch-size` sentences is one request. The system message (`prompt.py`)
gives the rules, the glossary entries the batch's Chinese matched as required
renderings, and a few reviewed translations as the house style (`hints.py`); the
user message is JSON, one entry per sentence with its id and its placeholders. The
answer must be JSON with the same ids in the same order (`response-format` asks the
server to constrain it). Segments the answer drops, merges, reorders or leaves
empty are retried one by one; a sentence that still fails is returned as its own
input and listed in `failures`, so the run keeps its Chinese and flags it for
review: nothing broken is ever written as a translation.

Servers: `url` may list several; `engines.pool` spreads batches over them with
`max-in-flight` requests at once, and finishes a failed server's batches on the
others. Connection errors, timeouts, 429 and 5xx are retried with backoff, after
`Retry-After` when a 429 or 503 names it. The API key goes in the Authorization
header only: never in memory, a message or a log (a server's error text has it
masked).
"""

from __future__ import annotations

import os
import re
import threading
import urllib.parse
from typing import Any

from workflow.config import LLMSettings, Settings
from workflow.engines import Progress
from workflow.engines import prompt as prompts
from workflow.engines.hints import Hints
from workflow.engines.pool import Pool, ServerDown
from workflow.engines.transport import Backoff, Exhausted, HTTPProblem, NotJSON, reason, request_json, with_retries
from workflow.errors import ConfigError, EngineFailed, EngineUnavailable
from workflow.store.memory import EngineInfo

USER_AGENT = "workflow (OpenAI-compatible client)"
FORMATS = ("json_object", "json_schema", "json_object_schema", "none")
TABLE = "[tool.workflow.llm]"
FORMAT_REFUSED = re.compile(r"response_format|json_object|json_schema")
Outcome = tuple[str, str]  # (translation, "") or (the input, why it failed)


class LLMEngine:
    identity = False
    uses_hints = True
    #: seconds before the first retry; doubled for each next one (tests set it to 0)
    backoff = 0.5
    max_backoff = 8.0

    def __init__(self, settings: Settings) -> None:
        s = settings.llm
        _validate(s, str(settings.config_file or "command line"))
        self.settings = s
        self.urls = [url.rstrip("/") for url in s.url]
        self.key = s.key(os.environ)
        self.source, self.target = settings.source_lang, settings.target_lang
        self.version = prompts.version(s.instructions)
        self.info = EngineInfo("llm", model=s.model, version=f"prompt {self.version}",
                               model_hash=f"prompt-{self.version}")
        self.hints = Hints()
        self.failures: dict[str, str] = {}  # input text -> why no translation came back
        self.requests = 0  # HTTP requests sent, retries included
        self.pool: Pool[list[str], list[Outcome]] = Pool(self.urls, s.max_in_flight)
        self._lock = threading.Lock()

    # -- the protocol ----------------------------------------------------------------------

    def translate(self, texts: list[str], progress: Progress | None = None) -> list[str]:
        if not texts:
            return []
        out: list[str] = []
        for batch, outcomes in self.pool.map_texts(texts, self.settings.batch_size, self._on_server, progress):
            for text, (english, why) in zip(batch, outcomes):
                if why:
                    self.failures[text] = why
                out.append(english)
        return out

    # -- one batch on one server -----------------------------------------------------------

    def _on_server(self, url: str, batch: list[str]) -> list[Outcome]:
        """The batch, then its broken segments one by one; `ServerDown` when the server is gone."""
        try:
            found, _ = self._ask(url, batch)
            outcomes: list[Outcome] = []
            for i, text in enumerate(batch):
                if i in found or not text.strip():
                    outcomes.append((found.get(i, ""), ""))
                    continue
                outcomes.append(self._alone(url, text))
            return outcomes
        except _Gone as gone:
            raise ServerDown(gone.error) from None

    def _alone(self, url: str, text: str) -> Outcome:
        why = ""
        for _ in range(self.settings.retries + 1):
            found, why = self._ask(url, [text])
            if 0 in found:
                return found[0], ""
        return text, f"the model gave no usable translation after {self.settings.retries + 1} tries alone ({why})"

    def _ask(self, url: str, batch: list[str]) -> tuple[dict[int, str], str]:
        """One request: the positions of the batch the answer translated, with their English; what was wrong."""
        ids = [f"s{i + 1}" for i in range(len(batch))]
        terms = self.hints.terms_of(batch)
        examples = self.hints.examples(batch)[:self.settings.examples] if self.settings.examples else []
        body = prompts.request(self.settings, ids, batch, terms, examples, self.source, self.target)
        answer = self._call(url, body)
        content, problem = prompts.content(answer)
        if problem:
            return {}, problem
        return prompts.parse(content, ids, batch)

    def _call(self, url: str, body: dict[str, Any]) -> Any:
        headers = {"User-Agent": USER_AGENT}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"

        def once() -> Any:
            with self._lock:
                self.requests += 1
            try:
                return request_json(url + "/chat/completions", "POST", body, headers, self.settings.timeout)
            except HTTPProblem as problem:
                if problem.status >= 500 and FORMAT_REFUSED.search(problem.detail):
                    # llama-cpp-python answers an unknown response_format with a 500: no retry mends that
                    raise HTTPProblem(400, problem.detail) from None
                raise

        try:
            return with_retries(once, self.settings.retries, Backoff(self.backoff, self.max_backoff))
        except HTTPProblem as problem:
            raise self._refused(url, problem) from None
        except Exhausted as exhausted:
            raise _Gone(self._gave_up(url, exhausted)) from None
        except NotJSON:
            raise _Gone(EngineFailed(f"{url}/chat/completions did not answer JSON. Is `url` in {TABLE} the "
                                     "base URL of an OpenAI-compatible API (it usually ends in /v1)?")) from None

    def _gave_up(self, url: str, exhausted: Exhausted) -> EngineFailed | EngineUnavailable:
        last = exhausted.problem
        if isinstance(last, HTTPProblem):
            return EngineFailed(
                f"the LLM server at {url} failed ({self._masked(str(last))}) after {exhausted.tries} tries. "
                f"Check the server's log, try again later, or raise `retries` / lower `max-in-flight` in {TABLE}.")
        return EngineUnavailable(
            f"cannot reach the LLM server at {url} ({reason(last)}; {exhausted.tries} tries, timeout "
            f"{self.settings.timeout:g} s). Start it, or point `url` in {TABLE} (or --llm-url, WORKFLOW_LLM_URL) "
            "at a running OpenAI-compatible server.")

    def _refused(self, url: str, problem: HTTPProblem) -> EngineUnavailable:
        where = f"the LLM server at {url} refused the request ({self._masked(str(problem))})."
        if problem.status in (401, 403):
            return EngineUnavailable(
                f"{where} Pass the API key with --llm-api-key (or WORKFLOW_LLM_API_KEY), or name the environment "
                f"variable that holds it with `api-key-env` in {TABLE}.")
        if problem.status == 404:
            return EngineUnavailable(f"{where} Is `url` in {TABLE} the API's base URL (ending in /v1), and "
                                     f"`model` ({self.settings.model}) a model it serves?")
        return EngineUnavailable(f"{where} If the server does not support `response-format = "
                                 f"\"{self.settings.response_format}\"`, set another in {TABLE} "
                                 f"({', '.join(FORMATS)}); check `model` and `max-tokens`.")

    def _masked(self, text: str) -> str:
        return text.replace(self.key, "***") if self.key else text


class _Gone(Exception):
    def __init__(self, error: EngineFailed | EngineUnavailable) -> None:
        super().__init__(error.message)
        self.error = error


def _validate(s: LLMSettings, origin: str) -> None:
    if not s.url:
        raise ConfigError("`llm.url` needs at least one base URL, like http://127.0.0.1:11434/v1.", path=origin)
    for url in s.url:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"`llm.url` must be http(s) base URLs like http://127.0.0.1:11434/v1, not {url!r}.",
                              path=origin)
    if not s.model.strip():
        raise ConfigError(f"the llm engine needs `model` in {TABLE} (or --llm-model): the name the server "
                          "knows the model by, like qwen2.5:7b-instruct for Ollama.", path=origin)
    if s.response_format not in FORMATS:
        raise ConfigError(f"`llm.response-format` must be one of {', '.join(FORMATS)}, not {s.response_format!r}.",
                          path=origin)
    if s.batch_size < 1 or s.retries < 0 or s.timeout <= 0 or s.max_in_flight < 0 or s.examples < 0 \
            or s.max_tokens < 0 or not 0 <= s.temperature <= 2:
        raise ConfigError(f"{TABLE} needs batch-size >= 1, retries >= 0, timeout > 0, max-in-flight >= 0, "
                          "examples >= 0, max-tokens >= 0 and temperature between 0 and 2.", path=origin)
