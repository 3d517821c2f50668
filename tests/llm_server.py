"""A stand-in OpenAI-compatible chat-completions server with fault injection, run as a real process.

    python tests/llm_server.py --state DIR [--api-key KEY] [--delay SECONDS]

It binds 127.0.0.1 on a free port and writes the port to DIR/port. `POST
/v1/chat/completions` reads the workflow llm engine's user message
(``{"segments": [{"id", "zh"}]}``) and answers ``{"translations": [{"id", "en"}]}``
with a deterministic "translation": each run of Chinese characters becomes `zh`,
everything else (placeholders and their content) is kept. It is not a model; it
speaks the protocol, so the tests can prove what the engine sends and how it takes
broken answers. Every request is appended to DIR/requests.jsonl (body and whether
an Authorization header came); every answered segment to DIR/answered.jsonl.

Faults, queued with ``POST /_faults`` ``[{"kind": ...}, ...]``, each spent by one chat
request (`match`: only a request whose user message contains that text):
`status` (`status`, `retry_after`), `drop` (the last segment), `reorder` (the first
two), `merge` (the first two into the first id), `garbage` (not JSON), `empty` (no
choices), `kill` (SIGKILL itself before answering: a server that dies mid-run).
With `"sticky": true` a fault is not spent; with `"skip": n` it lets n requests through first.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HAN = re.compile(r"[\u3400-\u9fff]+")


def fake_english(text: str) -> str:
    """Each run of Chinese characters -> `zh`, 。 -> `.`, ， -> `,`; placeholders kept."""
    out = HAN.sub(" zh ", text).replace("。", ".").replace("，", ",")
    return re.sub(r" +([.,])", r"\1", re.sub(r"  +", " ", out)).strip()


class State:
    def __init__(self, folder: Path, api_key: str | None, delay: float) -> None:
        self.folder = folder
        self.api_key = api_key
        self.delay = delay
        self.faults: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def log(self, name: str, record: Any) -> None:
        with self.lock, open(self.folder / name, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()

    def fault_for(self, user: str) -> dict[str, Any] | None:
        with self.lock:
            for fault in self.faults:
                if fault.get("match", "") in user:
                    if fault.get("skip", 0) > 0:  # let this many matching requests through first
                        fault["skip"] -= 1
                        return None
                    if not fault.get("sticky"):
                        self.faults.remove(fault)
                    return fault
        return None


class Handler(BaseHTTPRequestHandler):
    state: State
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        body = data.encode() if isinstance(data, str) else json.dumps(data, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/v1/models":
            self._answer(200, {"object": "list", "data": [{"id": "stand-in", "object": "model"}]})
        else:
            self._answer(404, {"error": {"message": "Not Found"}})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/_faults":
            with self.state.lock:
                self.state.faults += body
            return self._answer(200, {"queued": len(body)})
        if self.path != "/v1/chat/completions":
            return self._answer(404, {"error": {"message": "Not Found"}})
        auth = self.headers.get("Authorization", "")
        self.state.log("requests.jsonl", {"time": time.time(), "body": body, "authorized": bool(auth)})
        if self.state.api_key is not None and auth != f"Bearer {self.state.api_key}":
            given = auth.removeprefix("Bearer ")
            return self._answer(401, {"error": {"message": f"Incorrect API key provided: {given}"}})
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        fault = self.state.fault_for(user)
        if self.state.delay:
            time.sleep(self.state.delay)
        kind = fault["kind"] if fault else ""
        if kind == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if kind == "status":
            headers = {"Retry-After": str(fault["retry_after"])} if "retry_after" in fault else {}
            return self._answer(fault["status"], {"error": {"message": f"injected {fault['status']}"}}, headers)
        if kind == "garbage":
            return self._chat("Sure! Here is the translation: it is great.")
        if kind == "empty":
            return self._answer(200, {"id": "x", "object": "chat.completion", "choices": []})
        segments = json.loads(user)["segments"]
        items = [{"id": s["id"], "en": fake_english(s["zh"])} for s in segments]
        if kind == "drop":
            items = items[:-1]
        elif kind == "reorder" and len(items) > 1:
            items[0], items[1] = items[1], items[0]
        elif kind == "merge" and len(items) > 1:
            items[0:2] = [{"id": items[0]["id"], "en": items[0]["en"] + " " + items[1]["en"]}]
        self._chat(json.dumps({"translations": items}, ensure_ascii=False))
        for item in items:
            self.state.log("answered.jsonl", {"zh": next(s["zh"] for s in segments if s["id"] == item["id"])})

    def _chat(self, content: str) -> None:
        self._answer(200, {"id": "chatcmpl-1", "object": "chat.completion", "model": "stand-in",
                           "choices": [{"index": 0, "finish_reason": "stop",
                                        "message": {"role": "assistant", "content": content}}]})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--api-key")
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    args.state.mkdir(parents=True, exist_ok=True)
    Handler.state = State(args.state, args.api_key, args.delay)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    (args.state / "port.tmp").write_text(str(server.server_address[1]), encoding="utf-8")
    (args.state / "port.tmp").replace(args.state / "port")
    server.serve_forever()


if __name__ == "__main__":
    main()
