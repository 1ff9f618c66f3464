"""LTX-2 text- and image-to-video with sound (``LTX2Pipeline``, ``LTX2ImageToVideoPipeline``).

Both classes load from the same folder. LTX-2 denoises a video and an audio track
together; the engine hands the audio to :mod:`soundtrack`. Like LTX-Video it
conditions on the frame rate, so the requested fps is passed through.
"""

from __future__ import annotations

from typing import Any

from reelvault.engines.diffusers.call import (
    PipelineCall,
    PreparedCall,
    pipeline_arguments,
    text_length,
)

PIPELINES = ("LTX2Pipeline", "LTX2ImageToVideoPipeline")
SPATIAL_STEP = 32
"""The LTX-2 video VAE downsamples 32x (patch size 1): sizes are multiples of 32."""
FRAME_STEP = 8
"""The VAE compresses time 8x after the first frame: frame counts are 8k + 1."""
STG_BLOCKS = [29]
"""The transformer block that spatio-temporal guidance perturbs; 29 is what Lightricks
recommends for LTX-2.0 (diffusers' own default, 28, is tuned for LTX-2.3)."""


def _stg(pipeline: Any) -> dict[str, Any]:
    """Spatio-temporal guidance where the transformer has the block; off otherwise.

    A smaller transformer (a fine-tune, a test model) has no block 29, and the pipeline
    rejects STG without blocks: guidance then falls back to plain CFG.
    """
    layers = int(getattr(getattr(pipeline.transformer, "config", None), "num_layers", 0) or 0)
    if layers > max(STG_BLOCKS):
        return {"spatio_temporal_guidance_blocks": STG_BLOCKS}
    return {"spatio_temporal_guidance_blocks": None, "stg_scale": 0.0, "audio_stg_scale": 0.0}


def prepare(pipeline: Any, call: PipelineCall) -> PreparedCall:
    arguments = pipeline_arguments(
        call,
        # Gemma reads up to 1024 tokens.
        max_sequence_length=text_length(pipeline, 1024),
        image_pipelines=("LTX2ImageToVideoPipeline",),
    )
    arguments["frame_rate"] = float(call.fps)
    arguments.update(_stg(pipeline))
    return PreparedCall(arguments=arguments, step_calls=call.steps)


__all__ = ["FRAME_STEP", "PIPELINES", "SPATIAL_STEP", "prepare"]
