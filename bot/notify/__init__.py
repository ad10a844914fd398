"""Pages outside Slack, one module per medium (`email`, `ntfy`): each renders a
`core.paging.Page` in the medium's own words, sends it, and says what the medium's failures
mean in `slack.errors` categories, so the outbox sender retries them like Slack's. Here:
`one_line`, the cleaning of a title every medium shows on one line."""

from __future__ import annotations

import re
import unicodedata

ELLIPSIS = "…"
_SPACES = re.compile(r"\s+")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")  # overrides that could reorder a line


def one_line(text: str | None, limit: int) -> str:
    """`text` as one line of at most `limit` characters: control characters and line breaks
    (CR, LF, U+2028...) become spaces, runs of spaces one, bidirectional overrides go, and a
    longer text is cut with "…". Safe in a mail header and a push title alike."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
        for ch in _BIDI.sub("", text or "")
    )
    line = _SPACES.sub(" ", cleaned).strip()
    if len(line) <= limit:
        return line
    return line[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS
