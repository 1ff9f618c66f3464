"""Engine registry: built-ins and third parties register through the same seam.

Third-party packages declare an entry point in the ``reelvault.engines`` group whose
value is an engine class. Built-in engines are listed in :data:`BUILTIN_ENGINES` and
loaded exactly the same way (datasette's ``DEFAULT_PLUGINS``). A duplicate name raises,
and so does a parameter model with a text parameter declared neither free text nor id
(:func:`reelvault.engines.base.check_text_params`).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

from reelvault.config import Settings
from reelvault.engines.base import (
    Engine,
    EngineParams,
    check_text_params,
    missing_declarations,
)
from reelvault.errors import EngineError, EngineNotFoundError
from reelvault.plugins import installed
from reelvault.types import Task

ENTRY_POINT_GROUP = "reelvault.engines"

BUILTIN_ENGINES: tuple[str, ...] = (
    "reelvault.engines.procedural:ProceduralEngine",
    "reelvault.engines.livephoto:LivePhotoEngine",
    "reelvault.engines.puppet:PuppetEngine",
    "reelvault.engines.diffusers:DiffusersEngine",
    "reelvault.engines.remote:RemoteEngine",
)

DEFAULT_ENGINES: dict[Task, str] = {
    Task.TEXT_TO_VIDEO: "procedural",
    Task.IMAGE_TO_VIDEO: "livephoto",
    Task.DANCE: "puppet",
}
"""The engine a request without ``engine`` or ``model`` gets: built-in, CPU, no download."""


def _load_reference(reference: str) -> type[Engine]:
    module_name, _, attribute = reference.partition(":")
    module = importlib.import_module(module_name)
    engine_class: type[Engine] = getattr(module, attribute)
    return engine_class


class EngineRegistry:
    """Engines by name. Instances are created lazily, once each.

    An engine class that sets ``wants_settings = True`` is constructed with the
    deployment's :class:`~reelvault.config.Settings` (model folders, device); others
    with no arguments.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings
        self._classes: dict[str, type[Engine]] = {}
        self._instances: dict[str, Engine] = {}

    def register(self, engine_class: type[Engine]) -> type[Engine]:
        missing = missing_declarations(engine_class)
        if missing:
            raise EngineError(
                f"engine class {engine_class.__module__}.{engine_class.__qualname__} does not "
                f"declare {', '.join(missing)} (subclass reelvault.engines.base.EngineBase "
                "for the defaults of a local engine)"
            )
        name = engine_class.name
        if not isinstance(name, str) or not name:
            raise EngineError(f"engine class {engine_class!r} has no name")
        params_model = engine_class.params_model
        if not (isinstance(params_model, type) and issubclass(params_model, EngineParams)):
            raise EngineError(f"engine {name} has no params_model (an EngineParams subclass)")
        # A text parameter must be declared free text (prompt data) or an id, or it would
        # be stored as plaintext with the job's metadata without anyone deciding so.
        check_text_params(name, params_model)
        existing = self._classes.get(name)
        if existing is not None and existing is not engine_class:
            raise EngineError(
                f"two engines are named {name!r}: {existing.__module__}.{existing.__qualname__} "
                f"and {engine_class.__module__}.{engine_class.__qualname__}"
            )
        self._classes[name] = engine_class
        return engine_class

    def names(self) -> list[str]:
        return sorted(self._classes)

    def engine_class(self, name: str) -> type[Engine]:
        """The class registered as ``name``, without creating an instance."""
        if name not in self._classes:
            known = ", ".join(self.names()) or "none"
            raise EngineNotFoundError(f"unknown engine {name!r} (known: {known})", param="engine")
        return self._classes[name]

    def get(self, name: str) -> Engine:
        self.engine_class(name)  # an unknown name raises
        if name not in self._instances:
            engine_class: Any = self._classes[name]
            if engine_class.wants_settings:
                if self.settings is None:
                    raise EngineError(f"engine {name} needs the deployment's settings")
                self._instances[name] = engine_class(self.settings)
            else:
                self._instances[name] = engine_class()
        return self._instances[name]

    def __iter__(self) -> Iterator[Engine]:
        return (self.get(name) for name in self.names())


def load_registry(
    settings: Settings | None = None, *, include_entry_points: bool = True
) -> EngineRegistry:
    """The registry with the built-in engines and, by default, installed plugins."""
    registry = EngineRegistry(settings)
    for reference in BUILTIN_ENGINES:
        registry.register(_load_reference(reference))
    if include_entry_points:
        for entry_point in installed(ENTRY_POINT_GROUP):
            registry.register(entry_point.load())
    return registry


__all__ = [
    "BUILTIN_ENGINES",
    "DEFAULT_ENGINES",
    "ENTRY_POINT_GROUP",
    "EngineRegistry",
    "load_registry",
]
