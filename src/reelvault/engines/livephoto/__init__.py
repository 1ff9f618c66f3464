"""The ``livephoto`` engine: a still photo brought to life (image → video) on the CPU."""

from reelvault.engines.livephoto.engine import LivePhotoEngine, LivePhotoParams

__all__ = ["LivePhotoEngine", "LivePhotoParams"]
