"""A tiny randomly initialised LTX-2 pipeline (video and audio), saved locally.

Mirrors diffusers' own LTX-2 test components, with a Gemma 3 text encoder built here
from a config (no hub access) and the word-level tokenizer of ``tiny_models``.
"""

from __future__ import annotations

from pathlib import Path

import torch

from tests.unit.engines.diffusers.tiny_models import ltx_vae_options, tiny_tokenizer

AUDIO_RATE = 16000
"""The tiny vocoder's output sample rate (the real LTX-2 vocoder gives 24 kHz)."""


def _gemma3() -> torch.nn.Module:
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration

    config = Gemma3Config(
        text_config={
            "vocab_size": 64,
            "hidden_size": 32,
            "intermediate_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "head_dim": 8,
            "max_position_embeddings": 128,
            "sliding_window": 16,
        },
        vision_config={
            "hidden_size": 8,
            "intermediate_size": 16,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": 8,
            "patch_size": 4,
        },
        mm_tokens_per_image=4,
    )
    torch.manual_seed(0)
    return Gemma3ForConditionalGeneration(config)


def build_ltx2(path: Path) -> Path:
    """One folder serves LTX2Pipeline and LTX2ImageToVideoPipeline (same components)."""
    from diffusers import (
        AutoencoderKLLTX2Audio,
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2Pipeline,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2 import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder

    text_encoder = _gemma3()
    text_config = text_encoder.config.text_config
    torch.manual_seed(0)
    transformer = LTX2VideoTransformer3DModel(
        in_channels=4,
        out_channels=4,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=2,
        attention_head_dim=8,
        cross_attention_dim=16,
        audio_in_channels=4,
        audio_out_channels=4,
        audio_num_attention_heads=2,
        audio_attention_head_dim=4,
        audio_cross_attention_dim=8,
        num_layers=1,
        qk_norm="rms_norm_across_heads",
        caption_channels=text_config.hidden_size,
        rope_double_precision=False,
        rope_type="split",
    )
    torch.manual_seed(0)
    connectors = LTX2TextConnectors(
        caption_channels=text_config.hidden_size,
        text_proj_in_factor=text_config.num_hidden_layers + 1,
        video_connector_num_attention_heads=4,
        video_connector_attention_head_dim=8,
        video_connector_num_layers=1,
        video_connector_num_learnable_registers=None,
        audio_connector_num_attention_heads=4,
        audio_connector_attention_head_dim=8,
        audio_connector_num_layers=1,
        audio_connector_num_learnable_registers=None,
        connector_rope_base_seq_len=32,
        rope_theta=10000.0,
        rope_double_precision=False,
        causal_temporal_positioning=False,
        rope_type="split",
    )
    torch.manual_seed(0)
    vae = AutoencoderKLLTX2Video(
        latent_channels=4,
        downsample_type=("spatial",),
        **ltx_vae_options((True,), encoder_layers=1),
    )
    torch.manual_seed(0)
    audio_vae = AutoencoderKLLTX2Audio(
        base_channels=4,
        output_channels=2,
        ch_mult=(1,),
        num_res_blocks=1,
        attn_resolutions=None,
        in_channels=2,
        resolution=32,
        latent_channels=2,
        norm_type="pixel",
        causality_axis="height",
        dropout=0.0,
        mid_block_add_attention=False,
        sample_rate=AUDIO_RATE,
        mel_hop_length=160,
        is_causal=True,
        mel_bins=8,
    )
    torch.manual_seed(0)
    vocoder = LTX2Vocoder(
        in_channels=audio_vae.config.output_channels * audio_vae.config.mel_bins,
        hidden_channels=32,
        out_channels=2,
        # 10 x 16 = the mel hop length: one mel frame becomes 160 samples, as in the
        # real vocoder, so the waveform lasts as long as the video.
        upsample_kernel_sizes=[20, 32],
        upsample_factors=[10, 16],
        resnet_kernel_sizes=[3],
        resnet_dilations=[[1, 3, 5]],
        leaky_relu_negative_slope=0.1,
        output_sampling_rate=AUDIO_RATE,
    )
    LTX2Pipeline(
        transformer=transformer,
        vae=vae,
        audio_vae=audio_vae,
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=text_encoder,
        tokenizer=tiny_tokenizer(),
        connectors=connectors,
        vocoder=vocoder,
    ).save_pretrained(path)
    return path
