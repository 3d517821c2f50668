"""workflow: translate Chinese Markdown articles about OpenStack into faithful English.

The library never prints and never imports click; ``workflow.cli`` is the thin edge.
"""

from __future__ import annotations

__version__ = "0.1.0"
