"""A `--jobs` worker that fails or dies is an error of the run worded for people, never a traceback."""

from __future__ import annotations

from multiprocessing import Pipe

import pytest

from workflow.errors import WorkflowError
from workflow.translate.stream import _receive, _value


def test_a_worker_that_died_is_a_workflow_error() -> None:
    ours, theirs = Pipe()
    theirs.close()
    with pytest.raises(WorkflowError, match=r"stopped without answering .* --jobs 1"):
        _value(_receive(ours))


def test_a_worker_that_failed_names_the_cause_not_the_traceback() -> None:
    ours, theirs = Pipe()
    theirs.send(("error", 'Traceback (most recent call last):\n  File "x.py", line 1\nKeyError: \'title\'\n'))
    with pytest.raises(WorkflowError) as caught:
        _value(_receive(ours))
    assert "KeyError: 'title'" in caught.value.message and "Traceback" not in caught.value.message
