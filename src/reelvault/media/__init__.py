"""Media: pure functions over paths and streams (probe, encode, thumbnails).

Sits below ``engines`` in the import order: nothing here imports an engine.
"""

from reelvault.media.encode import EncodedVideo, encode_h264
from reelvault.media.probe import VideoInfo, probe_video
from reelvault.media.thumbnail import make_thumbnail

__all__ = ["EncodedVideo", "VideoInfo", "encode_h264", "make_thumbnail", "probe_video"]
