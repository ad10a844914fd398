"""The config as the `firebell` commands load it: the file `--config` or FIREBELL_CONFIG names,
read once, with the line of every key, so that problems found after validation (placeholders,
the checks against Slack) are named `file:line: key: what`, as every config problem is.

A sandbox config (`config/sandbox.yml`: an ordinary config plus a `sandbox:` block describing
the pretend workspace) is read by the sandbox's own loader (`bot.sandbox.config`) for the
commands that only look at it (`check`, `oncall`), with a note that its `sandbox:` keys are
ignored; `serve` refuses it, as its ids are not your workspace's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.config import MISSING_FILE, Config, parse_config
from bot.config_placeholders import placeholders
from bot.config_source import ConfigError, KeyPath, line_of, locate, read_source, read_yaml
from bot.sandbox import config as sandbox_config

READ_ONLY = ("check", "oncall")  # the commands that accept a sandbox config
SANDBOX_NOTE = "sandbox: keys of the sandbox, ignored here"


@dataclass(frozen=True)
class Loaded:
    """A validated config, where it came from and the line of each of its keys."""

    config: Config
    source: str
    lines: dict[KeyPath, int]
    sandbox: bool  # it has a `sandbox:` block: its ids belong to the pretend workspace

    def where(self, key: KeyPath, message: str) -> str:
        """`file:line: key.path: message`."""
        return locate(key, message, self.source, self.lines)

    def line(self, key: KeyPath) -> int:
        """The line of `key` (0: none), to list problems in the order of the file."""
        return line_of(key, self.lines) or 0

    def placeholders(self) -> list[str]:
        """The example's placeholders still in the config, by line (none in a sandbox's)."""
        if self.sandbox:
            return []
        found = sorted(placeholders(self.config), key=lambda item: self.line(item[0]))
        return [self.where(key, message) for key, message in found]


def load(path: Path | str, command: str) -> Loaded:
    """The config at `path` as `firebell <command>` takes it; ConfigError names what is wrong."""
    source = str(path)
    text = read_source(path, MISSING_FILE)
    _, block = sandbox_config.strip_block(text)
    if not block:
        config = parse_config(text, source)
    elif command in READ_ONLY:
        config = sandbox_config.parse(text, source).config
    else:
        raise ConfigError(
            [
                f"{source}: this is a sandbox config (its `sandbox:` block describes a pretend "
                f"workspace): run it with `firebell sandbox --config {source}`; `firebell "
                f"{command}` needs a config naming your workspace's channels and people "
                "(copy config/firebell.example.yml)"
            ]
        )
    _, lines = read_yaml(text, source)
    return Loaded(config, source, lines, sandbox=bool(block))
