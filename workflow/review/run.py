"""`review`'s entry: the documents nothing edited are answered from hashes, before anything of
the review proper (parsing, attribution, rendering: `review.record`) is imported.

A document whose Chinese and English are as memory's header records them (same glossary)
has nothing to record; that is known from a read of the header and two hashes, over several
processes in a large run (as `check` does). Only the others are reviewed by `review.record`,
imported then: `review` with nothing edited costs little more than `check`.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Iterable

from workflow.config import Settings
from workflow.errors import WorkflowError
from workflow.glossary.terms import load as load_glossary
from workflow.review.results import DocumentReview, Report, Reviewer, untouched_or_none, utc_now
from workflow.store.documents import inside, rel_to, sources
from workflow.store.spread import processes, spread


def review(
    settings: Settings, paths: Iterable[Path] = (), *, reviewer: str | None = None, approve: bool = False,
    now: str | None = None,
) -> Report:
    """Record the edits in the English files of `paths` (default: all); `approve` accepts machine segments."""
    who = Reviewer(settings, reviewer)
    glossary = load_glossary(settings.glossary, settings.root)
    report = Report()
    stamp = now or utc_now()
    named = bool(list(paths))
    todo = sources(settings, paths)
    # nothing edited: known from hashes, a large run's over several processes (as `check` does)
    quick = [None] * len(todo) if approve else spread(functools.partial(untouched_or_none, settings, glossary=glossary),
                                                      todo, processes(None, len(todo)))
    for source, done in zip(todo, quick):
        if done is not None:
            report.documents.append(done)
            continue
        try:
            from workflow.review.record import NotTranslated, UnalignedEdits, review_document, way_out

            try:
                report.documents.append(review_document(settings, source, glossary, who, approve, stamp, checked=True))
            except UnalignedEdits as exc:
                raise way_out(exc) from None
        except WorkflowError as exc:
            if isinstance(exc, NotTranslated) and not named and not exc.english:
                continue  # nothing to review yet
            state = "refused" if exc.exit_code == 1 else "error"
            output = settings.rel(settings.output / rel_to(source, settings.source)) if inside(source, settings.source) else ""
            report.documents.append(DocumentReview(source=settings.rel(source), output=output, state=state, message=str(exc),
                                                   exit_code=exc.exit_code))
    report.reviewer = who.name
    return report
