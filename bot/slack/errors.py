"""Reading Slack's answers the same way everywhere: how long a 429 asks us to wait."""

from __future__ import annotations


def retry_after(headers, default: float = 1.0) -> float:
    """Seconds from a `Retry-After` header (any case); `default` when absent or unreadable."""
    for name, value in (headers or {}).items():
        if name.lower() == "retry-after":
            try:
                return max(float(value if isinstance(value, str) else value[0]), 0.0)
            except (TypeError, ValueError, IndexError):
                return default
    return default
