"""translate streams in windows and runs in `--jobs` workers: the files are those of one process, one window."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO
from review_support import configure

import workflow.translate.run as run_mod
from workflow.config import Settings
from workflow.review.run import review
from workflow.translate.run import translate

NOW = "2026-01-01T00:00:00+00:00"


def corpus(root: Path, copies: int = 3) -> None:
    """The five articles, each also under a few other names with one sentence varied."""
    for path in sorted((root / "source_zh").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for n in range(1, copies):
            folder = root / "source_zh" / f"copy-{n}"
            folder.mkdir(exist_ok=True)
            (folder / path.name).write_text(text.replace("。", f"（第{n}份）。", 1), encoding="utf-8")


def tree(root: Path) -> dict[str, bytes]:
    out = root / "output_en"
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def twin(project: Path, name: str) -> Settings:
    other = project.parent / name
    shutil.copytree(project, other)
    return configure(other, engine="pseudo")


def small_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_mod, "CHUNK", 4)
    monkeypatch.setattr(run_mod, "WINDOW_DOCUMENTS", 3)
    monkeypatch.setattr(run_mod, "WINDOW_SENTENCES", 50)


def test_jobs_and_windows_write_the_same_bytes_as_one_process(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus(project)
    one, many = twin(project, "one"), twin(project, "many")
    first = translate(one, jobs=1, now=NOW)
    small_windows(monkeypatch)
    second = translate(many, jobs=2, now=NOW)
    assert first.exit_code == second.exit_code == 0
    assert [d.state for d in second.documents] == ["translated"] * 15
    assert first.documents == second.documents
    written = [k for k in tree(one.root) if not k.startswith(".workflow/.locks/")]  # English + memory per document
    assert tree(one.root) == tree(many.root) and len(written) == 30
    assert second.engine_texts >= first.engine_texts  # sentences repeated across windows are sent once per window


def test_a_rerun_in_workers_changes_nothing_and_one_changed_paragraph_costs_one_document(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus(project)
    conf = configure(project, engine="pseudo")
    small_windows(monkeypatch)
    assert translate(conf, jobs=2, now=NOW).exit_code == 0
    before = tree(project)
    again = translate(conf, jobs=2, now=NOW)
    assert {d.state for d in again.documents} == {"unchanged"} and again.engine == "" and tree(project) == before
    assert {d.state for d in review(conf).documents} == {"unchanged"}
    source = project / "source_zh" / "copy-2" / "2018-11-15-openstack-berlin-summit-impressions.md"
    source.write_text(source.read_text(encoding="utf-8").replace("朋友吐槽说", "朋友们吐槽说"), encoding="utf-8")
    changed = translate(conf, jobs=2, now=NOW)
    assert [d.source for d in changed.documents if d.state == "translated"] == [
        "source_zh/copy-2/2018-11-15-openstack-berlin-summit-impressions.md"]
    assert 0 < changed.engine_texts < 10  # the sentences of that one paragraph
    # the index cache (git-ignored, never needed) is written when a run builds the translation memory's index
    after = {k: v for k, v in tree(project).items() if not k.startswith(".workflow/.cache/")}
    assert [k for k in after if after[k] != before[k]] == [
        ".workflow/copy-2/2018-11-15-openstack-berlin-summit-impressions.md.json",
        "copy-2/2018-11-15-openstack-berlin-summit-impressions.md"]


def test_unchanged_from_hashes_matches_the_full_plan(project: Path) -> None:
    """The hash-first answer reports what planning the document would: segments and needs-review counts."""
    from workflow.document.plan import plan_document
    from workflow.glossary.terms import load
    from workflow.translate.stream import result

    conf = configure(project, engine="pseudo")
    assert translate(conf, now=NOW).exit_code == 0
    fast = translate(conf, now=NOW)
    glossary = load(conf.glossary, conf.root)
    assert {d.state for d in fast.documents} == {"unchanged"}
    for doc, path in zip(fast.documents, sorted((project / "source_zh").glob("*.md"))):
        plan = plan_document(conf, path, glossary, None)
        assert plan.unchanged and doc == result(conf, plan, "unchanged")


@pytest.mark.parametrize("jobs", [1, 2])
def test_each_recorded_fingerprint_is_the_glossary_s_for_the_segment_s_chinese(
        project: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    """The fingerprints a window computes before finishing its documents are those of each segment's own
    text (segments repeated across documents and windows included)."""
    from workflow.glossary.terms import load
    from workflow.store import memory

    corpus(project)
    conf = configure(project, engine="pseudo")
    small_windows(monkeypatch)
    assert translate(conf, jobs=jobs, now=NOW).exit_code == 0
    fresh = load(conf.glossary, conf.root)
    records = [r for path in sorted((project / "output_en" / ".workflow").rglob("*.md.json"))
               for r in (memory.load(path, path.name) or pytest.fail(f"{path} not read")).segments]
    assert len(records) > 100 and sum(1 for r in records if r.glossary) > 50
    assert [r.glossary for r in records] == [fresh.fingerprint(r.source) for r in records]


def big_project(root: Path) -> Path:
    """Eight documents of 2,500 paragraphs: a chunk's answers and a window's finish are about 1 MB each,
    more than a pipe holds."""
    (root / "source_zh").mkdir(parents=True)
    for n in range(8):
        lines = [f"第{n}篇第{i}段：在计算节点上为实例配置安全组规则，然后部署第{i}个服务。" for i in range(2500)]
        (root / "source_zh" / f"doc-{n}.md").write_text("# 标题\n\n" + "\n\n".join(lines) + "\n", encoding="utf-8")
    shutil.copytree(REPO / "glossary", root / "glossary")
    configure(root, engine="copy")
    return root


def run_small_windows(root: Path, jobs: int, before: str = "") -> list[str]:
    """`translate` in a fresh process with chunks of 4 and windows of 3 documents, after `before`;
    printed: the exit code and states, or the error raised, and the workers left running."""
    code = (
        "import sys, multiprocessing\nimport workflow.translate.run as run\nimport workflow.translate.stream as stream\n"
        "from workflow.config import load_settings\nfrom workflow.errors import WorkflowError\nfrom pathlib import Path\n"
        f"run.CHUNK, run.WINDOW_DOCUMENTS = 4, 3\n{before}\n"
        "try:\n"
        "    report = run.translate(load_settings(Path(sys.argv[1])), jobs=int(sys.argv[2]), now='2026-01-01T00:00:00+00:00')\n"
        "    print(report.exit_code, sorted({d.state for d in report.documents}))\n"
        "except WorkflowError as exc:\n    print('raised:', exc)\n"
        "print('workers left:', len(multiprocessing.active_children()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(root), str(jobs)], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.splitlines()


def test_a_chunk_planned_ahead_never_deadlocks_with_a_window_s_large_finish(tmp_path: Path) -> None:
    """Workers plan the next chunk while a window is finished: answers and finishes larger than a pipe
    holds still pass, and the files are those of one process."""
    project = big_project(tmp_path / "big")
    runs = {}
    for jobs in (2, 1):
        copy = tmp_path / f"jobs-{jobs}"
        shutil.copytree(project, copy)
        assert run_small_windows(copy, jobs) == ["0 ['translated']", "workers left: 0"]
        runs[jobs] = tree(copy)
    assert runs[1] == runs[2]


def test_an_engine_failure_while_workers_plan_ahead_stops_them(tmp_path: Path) -> None:
    """The engine fails while the workers plan the next chunk (their answers unread, larger than a pipe
    holds): the run's error is reported and no worker is left waiting to send."""
    project = big_project(tmp_path / "big")
    lines = run_small_windows(project, 2, "def down(*a, **k):\n    raise WorkflowError('the engine is down')\n"
                                          "run.run_engine = down")
    assert lines == ["raised: the engine is down", "workers left: 0"]
    assert list((project / "output_en").glob("*.md")) == []  # the first window's engine call failed


def test_a_worker_failing_while_it_plans_ahead_still_finishes_the_window_before(tmp_path: Path) -> None:
    """A bug met while planning the next chunk is the run's error, after every worker has written its
    share of the window before it (as when that chunk was planned after the window)."""
    project = big_project(tmp_path / "big")
    lines = run_small_windows(project, 2, "plan = stream.Planner._plan_one\n"
                                          "def bug(self, path):\n"
                                          "    if path.name == 'doc-6.md':\n        raise RuntimeError('a bug')\n"
                                          "    return plan(self, path)\n"
                                          "stream.Planner._plan_one = bug")
    assert lines[0].startswith("raised: a translate worker failed: RuntimeError: a bug.") and lines[1:] == [
        "workers left: 0"]
    assert sorted(p.name for p in (project / "output_en").glob("*.md")) == [f"doc-{n}.md" for n in range(4)]


def test_ctrl_c_stops_the_run_and_its_workers_without_a_traceback(project: Path, tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the whole process group) while the engine works and the workers, having
    planned ahead, wait for the next request: the run stops, the workers with it, and no process
    prints a traceback."""
    import signal

    corpus(project)
    configure(project, engine="copy")
    ready = tmp_path / "engine-called"
    code = (
        "import sys, time\nimport workflow.translate.run as run\nfrom workflow.config import load_settings\n"
        "from pathlib import Path\nrun.CHUNK, run.WINDOW_DOCUMENTS = 4, 3\nengine = run.run_engine\n"
        "def slow(*a, **k):\n    time.sleep(2)\n"  # the workers have planned the next chunk and wait
        f"    Path({str(ready)!r}).touch()\n    time.sleep(30)\n    return engine(*a, **k)\n"
        "run.run_engine = slow\n"
        "try:\n    run.translate(load_settings(Path(sys.argv[1])), jobs=2, now='2026-01-01T00:00:00+00:00')\n"
        "except KeyboardInterrupt:\n    print('interrupted')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(project)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(REPO)}, start_new_session=True)
    try:
        for _ in range(1200):
            if ready.exists() or proc.poll() is not None:
                break
            subprocess.run(["sleep", "0.05"], check=True)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        subprocess.run(["pkill", "-KILL", "-s", str(proc.pid)], check=False)
    assert out.strip() == "interrupted" and err == "", err[-2000:]  # (a worker interrupted: "Process ForkProcess-2:")
