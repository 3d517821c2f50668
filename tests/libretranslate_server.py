"""Start a real LibreTranslate server offline (for the `libretranslate`-marked tests).

Run it with a Python that has `libretranslate` installed, with ARGOS_PACKAGES_DIR
pointing at a folder holding an installed (unpacked) Argos package:

    ARGOS_PACKAGES_DIR=... python tests/libretranslate_server.py --host 127.0.0.1 --port 5000 --load-only zh,en

One thing is replaced: Argos' default sentence splitter (MiniSBD) downloads an ONNX
model on first use, which cannot happen offline; here each text is one sentence,
which is what workflow sends anyway (the pipeline splits sentences itself). The
Flask app, its HTML handling, API keys and error answers are LibreTranslate's own.
Write an empty package index (`[]`) to $XDG_DATA_HOME/argos-translate/index.json
first, or LibreTranslate tries to download models at start-up.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from typing import Any


def wait_until_answering(url: str, process: subprocess.Popen[bytes], timeout: float = 120, poll: float = 0.2) -> bool:
    """Wait for the server at `url` to answer `/languages`; False when it exited or `timeout` passed."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url + "/languages", timeout=2).read()
            return True
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(poll)


def main() -> None:
    from argostranslate import sbd, translate

    class OneSentence(sbd.ISentenceBoundaryDetectionModel):  # type: ignore[misc]
        def __init__(self, pkg: Any) -> None:
            self.pkg = pkg

        def split_sentences(self, text: str) -> list[str]:
            return [text]

        def __str__(self) -> str:
            return "OneSentence"

    sbd.MiniSBDSentencizer = OneSentence
    translate.MiniSBDSentencizer = OneSentence

    from libretranslate.main import main as libretranslate_main

    sys.argv = ["libretranslate", *sys.argv[1:]]
    libretranslate_main()


if __name__ == "__main__":
    main()
