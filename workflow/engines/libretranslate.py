"""`libretranslate`: a LibreTranslate server, so a team shares one translation service.

Standard library only (urllib). Before the first batch, `GET /languages` checks the
server is there and offers the language pair; then `POST /translate` sends
`batch-size` sentences at a time as ``{"q": [...], "source", "target", "format":
"html", "api_key"}`` and reads ``{"translatedText": [...]}``. Connection errors,
timeouts, 429 and 5xx answers are retried with exponential backoff (`retries`
times, `Retry-After` honoured on 429 and 503); 4xx answers are reported at once with
what to change. `url` may list several servers: `engines.pool` spreads the batches
over them (`max-in-flight` requests at once) and finishes a failed server's batches
on the others.

HTML mode keeps the placeholders (`<x1/>`, `<g2>…</g2>`) in place, but the server
parses them with Beautiful Soup, which writes an empty `<x1/>` back as `<x1></x1>`:
that is folded back. LibreTranslate unescapes its HTML output itself (1.6+); an
entity still in the answer (`&amp;`, `&#39;`) that the input did not contain was
added by the server and is unescaped. Entities of the Markdown source never reach
an engine (the pipeline masks them as placeholders), so an `&` in a text is literal.
"""

from __future__ import annotations

import html
import json
import re
import threading
import urllib.parse
from typing import Any

from workflow.config import Settings
from workflow.engines import Progress
from workflow.engines.pool import Pool, ServerDown
from workflow.engines.transport import Backoff, Exhausted, HTTPProblem, NotJSON, reason, request_json, with_retries
from workflow.errors import ConfigError, EngineFailed, EngineUnavailable, WorkflowError
from workflow.store.memory import EngineInfo

USER_AGENT = "workflow (LibreTranslate client)"
EMPTY_X = re.compile(r"<x(\d+)\s*>\s*</x\1\s*>", re.IGNORECASE)
ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
START_SERVER = ("Start one (`pip install libretranslate`, then `libretranslate --host 127.0.0.1 --port 5000 "
                "--load-only zh,en`), or point `url` in [tool.workflow.libretranslate] (or `--libretranslate-url`, "
                "WORKFLOW_LIBRETRANSLATE_URL) at a running server.")
API_KEY_HINT = ("Set `api-key` in [tool.workflow.libretranslate], or pass `--api-key` "
                "(or set WORKFLOW_LIBRETRANSLATE_API_KEY); ask the server's operator for a key.")


class LibreTranslateEngine:
    """One server or several (`url` is a list): batches spread over them by `engines.pool`."""

    identity = False
    #: seconds before the first retry; doubled for each next one (tests set it to 0)
    backoff = 0.5
    max_backoff = 8.0

    def __init__(self, settings: Settings) -> None:
        s = settings.libretranslate
        origin = str(settings.config_file or "command line")
        if not s.url:
            raise ConfigError("`libretranslate.url` needs at least one server URL.", path=origin)
        netlocs = [_netloc(url, origin) for url in s.url]
        if s.batch_size < 1 or s.retries < 0 or s.timeout <= 0 or s.max_in_flight < 0:
            raise ConfigError("[tool.workflow.libretranslate] needs batch-size >= 1, retries >= 0, timeout > 0 "
                              "and max-in-flight >= 0.", path=origin)
        self.settings = s
        self.urls = [url.rstrip("/") for url in s.url]
        self.url = self.urls[0]
        self.source, self.target = settings.source_lang, settings.target_lang
        self.info = EngineInfo("libretranslate", model=",".join(dict.fromkeys(netlocs)))
        self.requests = 0  # HTTP requests sent, retries included
        self.pool: Pool[list[str], list[str]] = Pool(self.urls, s.max_in_flight)
        self._checked: set[str] = set()
        self._lock = threading.Lock()

    # -- the protocol ----------------------------------------------------------------------

    def translate(self, texts: list[str], progress: Progress | None = None) -> list[str]:
        if not texts:
            return []
        answers = self.pool.map_texts(texts, self.settings.batch_size, self._on_server, progress)
        return [clean(one, text) for batch, answer in answers for text, one in zip(batch, answer)]

    def _on_server(self, url: str, batch: list[str]) -> list[str]:
        """One batch on one server; `ServerDown` when that server is gone, so the pool moves on."""
        try:
            self.check(url)
            return self._translate_batch(url, batch)
        except _Gone as gone:
            raise ServerDown(gone.error) from None

    # -- the server ------------------------------------------------------------------------

    def check(self, url: str | None = None) -> None:
        """The server answers and offers source→target; reads its version when it tells it."""
        url = url or self.url
        if url in self._checked:
            return
        languages = self._call(url, "GET", "/languages", None)
        if not isinstance(languages, list):
            raise _Gone(EngineUnavailable(f"{url}/languages did not answer a LibreTranslate language list. "
                                          "Is `url` in [tool.workflow.libretranslate] a LibreTranslate server?"))
        if not _offers(languages, self.source, self.target):
            raise _Gone(EngineUnavailable(
                f"the LibreTranslate server at {url} does not offer {self.source}→{self.target}. "
                f"Start it with `--load-only {self.source},{self.target}` and the {self.source}→{self.target} model."))
        version = self._version(url) if not self.info.version else ""
        with self._lock:
            if version and not self.info.version:
                self.info = EngineInfo("libretranslate", model=self.info.model, version=version)
            self._checked.add(url)

    def _version(self, url: str) -> str:
        try:
            settings = self._call(url, "GET", "/frontend/settings", None, retries=0)
        except (_Gone, WorkflowError):
            return ""
        version = settings.get("version") if isinstance(settings, dict) else None
        return str(version) if isinstance(version, (str, int, float)) else ""

    def _translate_batch(self, url: str, batch: list[str]) -> list[str]:
        payload: dict[str, Any] = {"q": batch, "source": self.source, "target": self.target, "format": "html"}
        if self.settings.api_key:
            payload["api_key"] = self.settings.api_key
        answer = self._call(url, "POST", "/translate", payload)
        translated = answer.get("translatedText") if isinstance(answer, dict) else None
        if isinstance(translated, str) and len(batch) == 1:
            translated = [translated]
        if not (isinstance(translated, list) and len(translated) == len(batch)
                and all(isinstance(t, str) for t in translated)):
            raise EngineFailed(
                f"the LibreTranslate server at {url} answered {len(batch)} texts with {_shape(answer)}. "
                "It may be too old for batched requests: upgrade it, or set `batch-size = 1` in "
                "[tool.workflow.libretranslate].")
        return list(translated)

    def _call(self, url: str, method: str, path: str, payload: dict[str, Any] | None,
              retries: int | None = None) -> Any:
        """One request with retries for connection errors, timeouts, 429 and 5xx."""
        retries = self.settings.retries if retries is None else retries
        try:
            return with_retries(lambda: self._request(url, method, path, payload), retries,
                                Backoff(self.backoff, self.max_backoff))
        except HTTPProblem as problem:
            raise self._client_error(url, path, problem) from None
        except Exhausted as exhausted:
            last = exhausted.problem
            if isinstance(last, HTTPProblem):
                raise _Gone(EngineFailed(
                    f"the LibreTranslate server at {url} failed on {path} ({last}) after "
                    f"{exhausted.tries} tries. Check the server's log and try again later, or raise `retries`/"
                    "lower `batch-size` in [tool.workflow.libretranslate].")) from None
            raise _Gone(EngineUnavailable(
                f"cannot reach the LibreTranslate server at {url} ({reason(last)}; "
                f"{exhausted.tries} tries, timeout {self.settings.timeout:g} s). " + START_SERVER)) from None
        except NotJSON:
            raise _Gone(EngineFailed(f"{url}{path} did not answer JSON. Is `url` in [tool.workflow.libretranslate] "
                                     "a LibreTranslate server?")) from None

    def _request(self, url: str, method: str, path: str, payload: dict[str, Any] | None) -> Any:
        with self._lock:
            self.requests += 1
        return request_json(url + path, method, payload, {"User-Agent": USER_AGENT}, self.settings.timeout)

    def _client_error(self, url: str, path: str, problem: HTTPProblem) -> EngineUnavailable:
        where = f"the LibreTranslate server at {url} refused {path} ({problem})."
        key_trouble = problem.status in (401, 403) or "api key" in problem.detail.lower()
        if key_trouble:
            return EngineUnavailable(f"{where} {API_KEY_HINT}")
        if problem.status == 404:
            return EngineUnavailable(f"{where} Is `url` in [tool.workflow.libretranslate] the server's root URL?")
        return EngineUnavailable(f"{where} If it names a limit, lower `batch-size` in [tool.workflow.libretranslate] "
                                 "or ask the operator to raise it.")


class _Gone(Exception):
    """This server cannot serve the run (down, failing, not a LibreTranslate with the pair)."""

    def __init__(self, error: WorkflowError) -> None:
        super().__init__(error.message)
        self.error = error


def _netloc(url: str, origin: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"`libretranslate.url` must be an http(s) URL like http://127.0.0.1:5000, not {url!r}.",
                          path=origin)
    return parts.netloc


def clean(answer: str, source: str) -> str:
    """Fold `<x1></x1>` back to `<x1/>`; unescape entities the server added."""
    text = EMPTY_X.sub(lambda m: f"<x{m.group(1)}/>", answer)
    return ENTITY.sub(lambda m: m.group(0) if m.group(0) in source else html.unescape(m.group(0)), text)


def _offers(languages: list[Any], source: str, target: str) -> bool:
    """True when a language of the list (codes like `zh`, `zh-Hans`) translates source→target."""
    def same(code: Any, wanted: str) -> bool:
        return isinstance(code, str) and code.lower().split("-")[0] == wanted.lower().split("-")[0]

    for language in languages:
        if isinstance(language, dict) and same(language.get("code"), source):
            targets = language.get("targets")
            return not isinstance(targets, list) or any(same(t, target) for t in targets)
    return False


def _shape(answer: Any) -> str:
    if isinstance(answer, dict) and isinstance(answer.get("translatedText"), list):
        return f"{len(answer['translatedText'])} texts"
    return f"an unexpected answer ({json.dumps(answer, ensure_ascii=False)[:120]})"
