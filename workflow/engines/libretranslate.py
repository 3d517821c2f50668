"""`libretranslate`: a LibreTranslate server, so a team shares one translation service.

Standard library only (urllib). Before the first batch, `GET /languages` checks the
server is there and offers the language pair; then `POST /translate` sends
`batch-size` sentences at a time as ``{"q": [...], "source", "target", "format":
"html", "api_key"}`` and reads ``{"translatedText": [...]}``. Connection errors,
timeouts, 429 and 5xx answers are retried with exponential backoff (`retries`
times); 4xx answers are reported at once with what to change.

HTML mode keeps the placeholders (`<x1/>`, `<g2>…</g2>`) in place, but the server
parses them with Beautiful Soup, which writes an empty `<x1/>` back as `<x1></x1>`:
that is folded back. LibreTranslate unescapes its HTML output itself (1.6+); an
entity still in the answer (`&amp;`, `&#39;`) that the input did not contain was
added by the server and is unescaped. Entities of the Markdown source never reach
an engine (the pipeline masks them as placeholders), so an `&` in a text is literal.
"""

from __future__ import annotations

import html
import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from workflow.config import Settings
from workflow.engines import Progress
from workflow.errors import ConfigError, EngineFailed, EngineUnavailable
from workflow.store.memory import EngineInfo

USER_AGENT = "workflow (LibreTranslate client)"
EMPTY_X = re.compile(r"<x(\d+)\s*>\s*</x\1\s*>", re.IGNORECASE)
ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
START_SERVER = ("Start one (`pip install libretranslate`, then `libretranslate --host 127.0.0.1 --port 5000 "
                "--load-only zh,en`), or point `url` in [tool.workflow.libretranslate] (or `--libretranslate-url`, "
                "WORKFLOW_LIBRETRANSLATE_URL) at a running server.")
API_KEY_HINT = ("Set `api-key` in [tool.workflow.libretranslate], or pass `--api-key` "
                "(or set WORKFLOW_LIBRETRANSLATE_API_KEY); ask the server's operator for a key.")


class HTTPProblem(Exception):
    """An HTTP answer that is not 2xx: status and the server's `error` text."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}" if detail else f"HTTP {status}")
        self.status = status
        self.detail = detail


class LibreTranslateEngine:
    identity = False
    #: seconds before the first retry; doubled for each next one (tests set it to 0)
    backoff = 0.5
    max_backoff = 8.0

    def __init__(self, settings: Settings) -> None:
        s = settings.libretranslate
        origin = str(settings.config_file or "command line")
        parts = urllib.parse.urlsplit(s.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"`libretranslate.url` must be an http(s) URL like http://127.0.0.1:5000, not {s.url!r}.",
                              path=origin)
        if s.batch_size < 1 or s.retries < 0 or s.timeout <= 0:
            raise ConfigError("[tool.workflow.libretranslate] needs batch-size >= 1, retries >= 0 and timeout > 0.",
                              path=origin)
        self.settings = s
        self.url = s.url.rstrip("/")
        self.source, self.target = settings.source_lang, settings.target_lang
        self.info = EngineInfo("libretranslate", model=parts.netloc)
        self.requests = 0  # HTTP requests sent, retries included
        self._checked = False

    # -- the protocol ----------------------------------------------------------------------

    def translate(self, texts: list[str], progress: Progress | None = None) -> list[str]:
        if not texts:
            return []
        self.check()
        out: list[str] = []
        size = self.settings.batch_size
        for start in range(0, len(texts), size):
            batch = texts[start:start + size]
            out += [clean(answer, text) for answer, text in zip(self._translate_batch(batch), batch, strict=True)]
            if progress:
                progress(len(batch))
        return out

    # -- the server ------------------------------------------------------------------------

    def check(self) -> None:
        """The server answers and offers source→target; reads its version when it tells it."""
        if self._checked:
            return
        languages = self._call("GET", "/languages", None)
        if not isinstance(languages, list):
            raise EngineUnavailable(f"{self.url}/languages did not answer a LibreTranslate language list. "
                                    "Is `url` in [tool.workflow.libretranslate] a LibreTranslate server?")
        if not _offers(languages, self.source, self.target):
            raise EngineUnavailable(
                f"the LibreTranslate server at {self.url} does not offer {self.source}→{self.target}. "
                f"Start it with `--load-only {self.source},{self.target}` and the {self.source}→{self.target} model.")
        self.info = EngineInfo("libretranslate", model=self.info.model, version=self._version())
        self._checked = True

    def _version(self) -> str:
        try:
            settings = self._call("GET", "/frontend/settings", None, retries=0)
        except (EngineFailed, EngineUnavailable):
            return ""
        version = settings.get("version") if isinstance(settings, dict) else None
        return str(version) if isinstance(version, (str, int, float)) else ""

    def _translate_batch(self, batch: list[str]) -> list[str]:
        payload: dict[str, Any] = {"q": batch, "source": self.source, "target": self.target, "format": "html"}
        if self.settings.api_key:
            payload["api_key"] = self.settings.api_key
        answer = self._call("POST", "/translate", payload)
        translated = answer.get("translatedText") if isinstance(answer, dict) else None
        if isinstance(translated, str) and len(batch) == 1:
            translated = [translated]
        if not (isinstance(translated, list) and len(translated) == len(batch)
                and all(isinstance(t, str) for t in translated)):
            raise EngineFailed(
                f"the LibreTranslate server at {self.url} answered {len(batch)} texts with {_shape(answer)}. "
                "It may be too old for batched requests: upgrade it, or set `batch-size = 1` in "
                "[tool.workflow.libretranslate].")
        return list(translated)

    def _call(self, method: str, path: str, payload: dict[str, Any] | None, retries: int | None = None) -> Any:
        """One request with retries for connection errors, timeouts, 429 and 5xx."""
        retries = self.settings.retries if retries is None else retries
        attempt = 0
        while True:
            try:
                return self._request(method, path, payload)
            except HTTPProblem as problem:
                if problem.status != 429 and problem.status < 500:
                    raise self._client_error(path, problem) from None
                if attempt >= retries:
                    raise EngineFailed(
                        f"the LibreTranslate server at {self.url} failed on {path} ({problem}) after "
                        f"{attempt + 1} tries. Check the server's log and try again later, or raise `retries`/"
                        "lower `batch-size` in [tool.workflow.libretranslate].") from None
            except (OSError, http.client.HTTPException) as exc:
                if attempt >= retries:
                    raise EngineUnavailable(
                        f"cannot reach the LibreTranslate server at {self.url} ({_reason(exc)}; "
                        f"{attempt + 1} tries, timeout {self.settings.timeout:g} s). " + START_SERVER) from None
            time.sleep(min(self.backoff * 2 ** attempt, self.max_backoff))
            attempt += 1

    def _request(self, method: str, path: str, payload: dict[str, Any] | None) -> Any:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8") if payload is not None else None
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            raise HTTPProblem(exc.code, _error_text(exc)) from None
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise EngineFailed(f"{self.url}{path} did not answer JSON. Is `url` in [tool.workflow.libretranslate] "
                               "a LibreTranslate server?") from None

    def _client_error(self, path: str, problem: HTTPProblem) -> EngineUnavailable:
        where = f"the LibreTranslate server at {self.url} refused {path} ({problem})."
        key_trouble = problem.status in (401, 403) or "api key" in problem.detail.lower()
        if key_trouble:
            return EngineUnavailable(f"{where} {API_KEY_HINT}")
        if problem.status == 404:
            return EngineUnavailable(f"{where} Is `url` in [tool.workflow.libretranslate] the server's root URL?")
        return EngineUnavailable(f"{where} If it names a limit, lower `batch-size` in [tool.workflow.libretranslate] "
                                 "or ask the operator to raise it.")


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


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        body = exc.read().decode("utf-8", "replace")
    except OSError:
        return str(exc.reason)
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip()[:200] or str(exc.reason)
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return str(data["error"])
    return body.strip()[:200]


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    return str(exc) or type(exc).__name__


def _shape(answer: Any) -> str:
    if isinstance(answer, dict) and isinstance(answer.get("translatedText"), list):
        return f"{len(answer['translatedText'])} texts"
    return f"an unexpected answer ({json.dumps(answer, ensure_ascii=False)[:120]})"
