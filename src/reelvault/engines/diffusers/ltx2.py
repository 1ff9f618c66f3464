"""LTX-2 text- and image-to-video with sound (``LTX2Pipeline``, ``LTX2ImageToVideoPipeline``).

Both classes load from the same folder. LTX-2 denoises a video and an audio track
together; the engine hands the audio to :mod:`soundtrack`. Like LTX-Video it
conditions on the frame rate, so the requested fps is passed through.
"""

from __future__ import annotations

from typing import Any

from reelvault.engines.diffusers.call import PipelineCall, PreparedCall

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
    # Gemma reads up to 1024 tokens; a smaller tokenizer (tests) caps it.
    limit = int(getattr(pipeline.tokenizer, "model_max_length", 1024) or 1024)
    arguments: dict[str, Any] = {
        "prompt": call.prompt,
        "negative_prompt": call.negative_prompt,
        "height": call.height,
        "width": call.width,
        "num_frames": call.num_frames,
        "frame_rate": float(call.fps),
        "num_inference_steps": call.steps,
        "guidance_scale": call.guidance,
        "generator": call.generator,
        "output_type": "np",
        "callback_on_step_end": call.on_step_end,
        "max_sequence_length": max(1, min(1024, limit)),
        **_stg(pipeline),
    }
    if call.pipeline_class == "LTX2ImageToVideoPipeline":
        arguments["image"] = call.image
    return PreparedCall(arguments=arguments, step_calls=call.steps)


__all__ = ["FRAME_STEP", "PIPELINES", "SPATIAL_STEP", "prepare"]
