"""Tiny randomly initialised HunyuanVideo 1.5 pipelines (text- and image-to-video), saved locally.

Mirrors diffusers' own HunyuanVideo 1.5 test components, with every tokenizer built
here (no hub access): the word-level tokenizer of ``tiny_models`` with a chat template
stands in for Qwen2.5-VL's, and ByT5's needs no files. The released checkpoints are
one folder per task (their transformers differ), so each task gets its own folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from tests.unit.engines.diffusers.tiny_models import tiny_text_encoder, tiny_tokenizer

TARGET_SIZE = 32
"""The tiny transformer's target size: image-to-video makes the buckets of a 32x32 area
(with the VAE's 4x: 32x32, 64x16 ...), as the 480p model makes those of 480x480."""

CHAT_TEMPLATE = (
    "{% for message in messages %}{{ message['content'] }} {% endfor %}"
    "{% if add_generation_prompt %}{% endif %}"
)


def _components() -> dict[str, Any]:
    from diffusers import (
        AutoencoderKLHunyuanVideo15,
        FlowMatchEulerDiscreteScheduler,
        HunyuanVideo15Transformer3DModel,
    )
    from diffusers.guiders import ClassifierFreeGuidance
    from transformers import ByT5Tokenizer, Qwen2_5_VLTextConfig, Qwen2_5_VLTextModel

    torch.manual_seed(0)
    transformer = HunyuanVideo15Transformer3DModel(
        in_channels=9,
        out_channels=4,
        num_attention_heads=2,
        attention_head_dim=8,
        num_layers=2,
        num_refiner_layers=1,
        mlp_ratio=2.0,
        patch_size=1,
        patch_size_t=1,
        text_embed_dim=16,
        text_embed_2_dim=32,
        image_embed_dim=12,
        rope_axes_dim=(2, 2, 4),
        target_size=TARGET_SIZE,
    )
    torch.manual_seed(0)
    vae = AutoencoderKLHunyuanVideo15(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        block_out_channels=(16, 16),
        layers_per_block=1,
        spatial_compression_ratio=4,
        temporal_compression_ratio=2,
        downsample_match_channel=False,
        upsample_match_channel=False,
    )
    torch.manual_seed(0)
    text_encoder = Qwen2_5_VLTextModel(
        Qwen2_5_VLTextConfig(
            vocab_size=64,
            hidden_size=16,
            intermediate_size=16,
            num_hidden_layers=2,
            num_attention_heads=2,
            num_key_value_heads=2,
            rope_scaling={"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
            rope_theta=1000000.0,
        )
    )
    tokenizer = tiny_tokenizer()
    tokenizer.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    return {
        "transformer": transformer,
        "vae": vae,
        "scheduler": FlowMatchEulerDiscreteScheduler(shift=7.0),
        "text_encoder": text_encoder,
        "tokenizer": tokenizer,
        # ByT5 reads bytes (ids up to 258): the encoder's vocabulary must hold them.
        "text_encoder_2": tiny_text_encoder(vocab_size=384),
        "tokenizer_2": ByT5Tokenizer(),
        # The released configs guide at 6 (the model card's CFG scale).
        "guider": ClassifierFreeGuidance(guidance_scale=6.0),
    }


def build_hunyuan15_t2v(path: Path) -> Path:
    from diffusers import HunyuanVideo15Pipeline

    HunyuanVideo15Pipeline(**_components()).save_pretrained(path)
    return path


def build_hunyuan15_i2v(path: Path) -> Path:
    """The image-to-video folder adds a SigLIP image encoder and its processor."""
    import transformers
    from diffusers import HunyuanVideo15ImageToVideoPipeline
    from transformers import SiglipVisionConfig, SiglipVisionModel

    # transformers 5 without torchvision offers the PIL processor under this name.
    processor_class = (
        getattr(transformers, "SiglipImageProcessorPil", None) or transformers.SiglipImageProcessor
    )
    torch.manual_seed(0)
    image_encoder = SiglipVisionModel(
        SiglipVisionConfig(
            hidden_size=12,
            intermediate_size=16,
            num_hidden_layers=1,
            num_attention_heads=2,
            image_size=8,
            patch_size=4,
        )
    )
    HunyuanVideo15ImageToVideoPipeline(
        **_components(),
        image_encoder=image_encoder,
        feature_extractor=processor_class(size={"height": 8, "width": 8}),
    ).save_pretrained(path)
    return path
