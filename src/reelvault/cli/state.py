"""What every command shares: global options, settings and a lazily opened runtime."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer
from rich.console import Console

from reelvault.app.compose import open_runtime
from reelvault.config import Settings, load_settings
from reelvault.runtime import Runtime


@dataclass
class CliState:
    data_dir: Path | None = None
    policy: str | None = None
    config_file: Path | None = None
    console: Console = field(default_factory=Console)
    errors: Console = field(default_factory=lambda: Console(stderr=True))
    _settings: Settings | None = None
    _runtime: Runtime | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(
                self.config_file, data_dir=self.data_dir, policy=self.policy
            )
        return self._settings

    @property
    def runtime(self) -> Runtime:
        if self._runtime is None:
            self._runtime = open_runtime(self.settings)
        return self._runtime

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.close()
            self._runtime = None


def state_of(ctx: typer.Context) -> CliState:
    state = ctx.find_root().obj
    if not isinstance(state, CliState):  # a command invoked without the root callback
        state = CliState()
        ctx.find_root().obj = state
    return state


__all__ = ["CliState", "state_of"]
