"""The translation memory offers the same fuzzy suggestions in every process.

Suggestions are written into memory files (the `matches` of a record), which are committed to
git: a candidate choice that depended on Python's per-process string hash salt would rewrite
them on every run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = r"""
import json
from workflow.store.tm import Index, Unit, sketch
units = [Unit(source=f"OpenStack峰会第{n}天的主题演讲介绍了计算服务和网络服务的新功能{n % 7}", target=f"day {n}",
              origin=f"doc{n % 13}.md", status="reviewed") for n in range(400)]
index = Index(units)
query = "OpenStack峰会第3天的主题演讲介绍了计算服务和网络服务的新功能"
print(json.dumps({"sketch": sketch(query), "fuzzy": [[s, u.target] for s, u in index.fuzzy(query, 60)]}))
"""


def probe(seed: str) -> object:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_suggestions_do_not_depend_on_the_hash_salt() -> None:
    first = probe("1")
    assert first["fuzzy"], "the probe must find fuzzy matches, or it proves nothing"
    assert probe("2") == first
    assert probe("12345") == first
