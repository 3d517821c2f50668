"""The `llm` engine's prompt and the checks of its answers. Pure functions, no I/O.

`VERSION` is recorded in memory with every segment (`EngineInfo.model_hash`), so a
change of the prompt (or of the team's `instructions`) makes the segments it wrote
model-stale: bump it with any change to `RULES` or to what `request` sends.

The request: a system message with the rules, the batch's glossary entries as
required renderings and the house-style examples; a user message in JSON,
``{"segments": [{"id": "s1", "zh": "…", "placeholders": ["<x1/>", "<g2>…</g2>"]}]}``.
The answer: ``{"translations": [{"id": "s1", "en": "…"}]}``, checked by `parse`.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from workflow.config import LLMSettings
from workflow.engines.hints import Term
from workflow.text.protect import PLACEHOLDER

VERSION = "1"
LANGUAGES = {"zh": "Chinese", "en": "English"}
FENCE = re.compile(r"^\s*```(?:json)?\s*\n?(.*?)\n?```\s*$", re.DOTALL)

RULES = """\
You translate {source} sentences from articles about OpenStack into fluent, faithful {target} for publication.
The user sends JSON: {{"segments": [{{"id": "s1", "zh": "...", "placeholders": [...]}}, ...]}}.
Answer with JSON only, no commentary: {{"translations": [{{"id": "s1", "en": "..."}}, ...]}}
- One entry per segment, with the same ids in the same order. Never merge, split, drop or add segments.
- Placeholders are tags like <x1/> and pairs like <g2>...</g2>. Copy every placeholder of a segment exactly once,
  unchanged, where its content belongs in the {target}; translate the text between the tags of a pair.
- A pair numbered from 1001 (<g1001>...</g1001>) already holds the required {target} of a glossary term: keep it,
  inflected if the sentence needs it. A tag numbered from 1001 (<x1001/>) stands for a name: copy it.
- Translate everything; leave no {source} characters. Add no notes, explanations or Markdown."""


def version(instructions: str = "") -> str:
    """The prompt's version: VERSION, plus a hash of the team's own instructions when there are some."""
    if not instructions.strip():
        return VERSION
    return f"{VERSION}+{hashlib.sha256(instructions.strip().encode('utf-8')).hexdigest()[:8]}"


def system(settings: LLMSettings, terms: list[Term], examples: list[tuple[str, str]], source: str,
           target: str) -> str:
    parts = [RULES.format(source=LANGUAGES.get(source, source), target=LANGUAGES.get(target, target))]
    if terms:
        lines = [f"- {zh} → {en}" + (f" (written {marker})" if marker.startswith("<x") else "")
                 for marker, zh, en in terms]
        parts.append("Required renderings from the project's glossary:\n" + "\n".join(lines))
    if examples:
        shown = [f"{source}: {zh}\n{target}: {en}" for zh, en in examples]
        parts.append("Reviewed translations from this project; follow their style and terminology:\n\n"
                     + "\n\n".join(shown))
    if settings.instructions.strip():
        parts.append(settings.instructions.strip())
    return "\n\n".join(parts)


def user(ids: list[str], texts: list[str]) -> str:
    segments = [{"id": i, "zh": text, "placeholders": [m.group(0) for m in PLACEHOLDER.finditer(text)]}
                for i, text in zip(ids, texts)]
    return json.dumps({"segments": segments}, ensure_ascii=False)


def schema(ids: list[str], texts: list[str]) -> dict[str, Any]:
    """The answer's JSON Schema, each position's id fixed (for servers that constrain their output).

    Each English has a generous `maxLength` (64 + 6 characters per character of the source):
    a grammar-constrained model then cannot run on in a string until `max-tokens`."""
    items = [{"type": "object", "additionalProperties": False, "required": ["id", "en"],
              "properties": {"id": {"const": i}, "en": {"type": "string", "maxLength": 64 + 6 * len(text)}}}
             for i, text in zip(ids, texts)]
    return {"type": "object", "required": ["translations"], "additionalProperties": False,
            "properties": {"translations": {"type": "array", "prefixItems": items, "items": False,
                                            "minItems": len(ids), "maxItems": len(ids)}}}


def request(settings: LLMSettings, ids: list[str], texts: list[str], terms: list[Term],
            examples: list[tuple[str, str]], source: str, target: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": settings.model,
        "messages": [{"role": "system", "content": system(settings, terms, examples, source, target)},
                     {"role": "user", "content": user(ids, texts)}],
        "temperature": settings.temperature,
        "stream": False,
    }
    if settings.max_tokens:
        body["max_tokens"] = settings.max_tokens
    fmt = settings.response_format
    if fmt == "json_object":
        body["response_format"] = {"type": "json_object"}
    elif fmt == "json_object_schema":  # llama-cpp-python's form: a grammar from the schema
        body["response_format"] = {"type": "json_object", "schema": schema(ids, texts)}
    elif fmt == "json_schema":  # OpenAI's structured outputs (vLLM, Ollama, llama.cpp's server, LM Studio)
        body["response_format"] = {"type": "json_schema",
                                   "json_schema": {"name": "translations", "strict": False, "schema": schema(ids, texts)}}
    return body


def content(answer: Any) -> tuple[str, str]:
    """The assistant's text of a chat-completions answer, or ("", what is wrong with the answer)."""
    choices = answer.get("choices") if isinstance(answer, dict) else None
    first = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else None
    message = first.get("message") if first else None
    text = message.get("content") if isinstance(message, dict) else None
    if not isinstance(text, str):
        return "", "the answer has no choices[0].message.content"
    if first and first.get("finish_reason") == "length":
        return "", "the answer was cut off at max-tokens"
    return text, ""


def parse(text: str, ids: list[str], texts: list[str]) -> tuple[dict[int, str], str]:
    """Positions whose translation the answer gives, trusted; and what was wrong with the rest.

    Trusted: an entry with a known id, not seen before, after the previous trusted one
    (a reordered entry is not), with non-empty English. The entry before a missing id
    is not trusted either: a model that merges two segments writes both into the first.
    """
    fenced = FENCE.match(text)
    try:
        data = json.loads(fenced.group(1) if fenced else text, strict=False)
    except ValueError:
        return {}, "the answer is not JSON"
    items = data.get("translations") if isinstance(data, dict) else data
    if not isinstance(items, list):
        return {}, "the answer has no list of translations"
    position = {i: n for n, i in enumerate(ids)}
    found: dict[int, str] = {}
    last = -1
    problems: list[str] = []
    for item in items:
        n = position.get(str(item.get("id"))) if isinstance(item, dict) else None
        en = item.get("en") if isinstance(item, dict) else None
        if n is None or n in found or n < last:
            problems.append(f"unexpected or reordered entry {json.dumps(item, ensure_ascii=False)[:60]}")
            continue
        last = n
        if isinstance(en, str) and (en.strip() or not texts[n].strip()):
            found[n] = en.strip()
        else:
            problems.append(f"no English for {ids[n]}")
    missing = [n for n in range(len(ids)) if n not in found]
    for n in missing:
        if n - 1 in found and n - 1 not in missing:
            del found[n - 1]  # may hold the missing segment too
    if missing:
        problems.append("missing " + ", ".join(ids[n] for n in missing))
    return found, "; ".join(problems)
