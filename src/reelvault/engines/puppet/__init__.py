"""The ``puppet`` engine: the person of a photo dances the moves of a reference video."""

from reelvault.engines.puppet.engine import PuppetEngine, PuppetParams

__all__ = ["PuppetEngine", "PuppetParams"]
