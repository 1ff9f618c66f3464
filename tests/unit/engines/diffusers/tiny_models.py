"""Tiny randomly initialised pipelines, built and saved locally (no hub access).

Each builder mirrors diffusers' own ``get_dummy_components`` for the family, with a
T5 text encoder and a word-level tokenizer created here from a small vocabulary, and
writes the pipeline with ``save_pretrained`` so tests load it exactly as a user's
downloaded model is loaded (``from_pretrained(path, local_files_only=True)``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast, T5Config, T5EncoderModel

LOG_CANARY = "zqxcanarytail"
"""A word only the log-privacy test writes: the tokenizer must know it, or a truncation
warning would quote it as <unk> and a leak would go unseen."""

WORDS = (
    "a an the fox cat dog running walking dancing through in on snow beach sea sky",
    "red blue green bright dark slow fast camera pan zoom person yoga sunset",
    LOG_CANARY,
)


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2}
    for word in " ".join(WORDS).split():
        vocab.setdefault(word, len(vocab))
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    # T5 appends </s>; keep that so the encoder sees the same shape of input.
    tokenizer.post_processor = processors.TemplateProcessing(
        single="$A </s>", special_tokens=[("</s>", 1)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        model_max_length=512,
    )


def tiny_text_encoder(d_model: int = 32, vocab_size: int = 64) -> T5EncoderModel:
    config = T5Config(
        vocab_size=vocab_size,
        d_model=d_model,
        d_kv=8,
        d_ff=37,
        num_layers=1,
        num_heads=4,
        relative_attention_num_buckets=8,
        is_encoder_decoder=False,
        use_cache=False,
    )
    return T5EncoderModel(config)


def tiny_wan_vae() -> Any:
    """The Wan VAE (8x space, 4x time, 16 latent channels), tiny: Wan, Wan-Animate, Sana-Video,
    SkyReels-V2 and Wan VACE all decode with it."""
    from diffusers import AutoencoderKLWan

    torch.manual_seed(0)
    return AutoencoderKLWan(
        base_dim=3,
        z_dim=16,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
    )


WAN_TRANSFORMER_OPTIONS: dict[str, Any] = {
    "patch_size": (1, 2, 2),
    "num_attention_heads": 2,
    "attention_head_dim": 12,
    "in_channels": 16,
    "out_channels": 16,
    "text_dim": 32,
    "freq_dim": 256,
    "ffn_dim": 32,
    "cross_attn_norm": True,
    "qk_norm": "rms_norm_across_heads",
    "rope_max_seq_len": 32,
}
"""A tiny Wan transformer's options: Wan's, SkyReels-V2's and Wan VACE's transformers
share them (VACE adds its control layers)."""


def ltx_vae_options(scaling: tuple[bool, ...], encoder_layers: int) -> dict[str, Any]:
    """A tiny LTX video VAE's options, one block of 8 channels per entry of ``scaling``.

    LTX-Video's ``AutoencoderKLLTXVideo`` and LTX-2's ``AutoencoderKLLTX2Video`` take the
    same options; only their latent channels and block counts differ here.
    """
    blocks = len(scaling)
    return {
        "in_channels": 3,
        "out_channels": 3,
        "block_out_channels": (8,) * blocks,
        "decoder_block_out_channels": (8,) * blocks,
        "layers_per_block": (1,) * encoder_layers,
        "decoder_layers_per_block": (1,) * (blocks + 1),
        "spatio_temporal_scaling": scaling,
        "decoder_spatio_temporal_scaling": scaling,
        "decoder_inject_noise": (False,) * (blocks + 1),
        "upsample_residual": (False,) * blocks,
        "upsample_factor": (1,) * blocks,
        "timestep_conditioning": False,
        "patch_size": 1,
        "patch_size_t": 1,
        "encoder_causal": True,
        "decoder_causal": False,
    }


def _components_wan() -> dict[str, Any]:
    from diffusers import FlowMatchEulerDiscreteScheduler, WanTransformer3DModel

    vae = tiny_wan_vae()
    torch.manual_seed(0)
    transformer = WanTransformer3DModel(**WAN_TRANSFORMER_OPTIONS, num_layers=2)
    torch.manual_seed(0)
    return {
        "transformer": transformer,
        "vae": vae,
        "scheduler": FlowMatchEulerDiscreteScheduler(shift=7.0),
        "text_encoder": tiny_text_encoder(),
        "tokenizer": tiny_tokenizer(),
    }


def build_wan(path: Path) -> Path:
    from diffusers import WanPipeline

    WanPipeline(**_components_wan()).save_pretrained(path)
    return path


def build_ltx(path: Path) -> Path:
    """One folder serves both LTXPipeline and LTXImageToVideoPipeline (same components)."""
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )

    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=1,
        caption_channels=32,
    )
    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        latent_channels=8, **ltx_vae_options((True, True, False, False), encoder_layers=5)
    )
    torch.manual_seed(0)
    LTXPipeline(
        transformer=transformer,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=tiny_text_encoder(),
        tokenizer=tiny_tokenizer(),
    ).save_pretrained(path)
    return path


def build_cogvideox(path: Path) -> Path:
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXDDIMScheduler,
        CogVideoXPipeline,
        CogVideoXTransformer3DModel,
    )

    torch.manual_seed(0)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=4,
        attention_head_dim=8,
        in_channels=4,
        out_channels=4,
        time_embed_dim=2,
        text_embed_dim=32,
        num_layers=1,
        sample_width=2,
        sample_height=2,
        sample_frames=9,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=16,
    )
    torch.manual_seed(0)
    vae = AutoencoderKLCogVideoX(
        in_channels=3,
        out_channels=3,
        down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=2,
        temporal_compression_ratio=4,
    )
    torch.manual_seed(0)
    CogVideoXPipeline(
        transformer=transformer,
        vae=vae,
        scheduler=CogVideoXDDIMScheduler(),
        text_encoder=tiny_text_encoder(),
        tokenizer=tiny_tokenizer(),
    ).save_pretrained(path)
    return path


def build_wan_animate(path: Path) -> Path:
    """A tiny Wan-Animate: Wan VAE, animate transformer with a small motion encoder, CLIP."""
    import transformers
    from diffusers import (
        UniPCMultistepScheduler,
        WanAnimatePipeline,
        WanAnimateTransformer3DModel,
    )
    from transformers import CLIPVisionConfig, CLIPVisionModel

    # transformers 5 without torchvision offers the PIL processor under this name.
    processor_class = (
        getattr(transformers, "CLIPImageProcessorPil", None) or transformers.CLIPImageProcessor
    )
    vae = tiny_wan_vae()
    torch.manual_seed(0)
    transformer = WanAnimateTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=36,
        latent_channels=16,
        out_channels=16,
        text_dim=32,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        image_dim=4,
        rope_max_seq_len=32,
        motion_encoder_channel_sizes={"4": 16, "8": 16, "16": 16},
        motion_encoder_size=16,
        motion_style_dim=16,
        motion_dim=4,
        motion_encoder_dim=16,
        face_encoder_hidden_dim=16,
        face_encoder_num_heads=2,
        inject_face_latents_blocks=1,
        motion_encoder_batch_size=4,
    )
    torch.manual_seed(0)
    image_encoder = CLIPVisionModel(
        CLIPVisionConfig(
            hidden_size=4,
            projection_dim=4,
            num_hidden_layers=2,
            num_attention_heads=2,
            image_size=4,
            intermediate_size=16,
            patch_size=1,
        )
    )
    WanAnimatePipeline(
        tokenizer=tiny_tokenizer(),
        text_encoder=tiny_text_encoder(),
        vae=vae,
        scheduler=UniPCMultistepScheduler(
            prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0
        ),
        image_processor=processor_class(crop_size=4, size=4),
        image_encoder=image_encoder,
        transformer=transformer,
    ).save_pretrained(path)
    return path


def build_sana(path: Path) -> Path:
    """One folder serves SanaVideoPipeline and SanaImageToVideoPipeline (Wan VAE, Gemma 2)."""
    from diffusers import (
        FlowMatchEulerDiscreteScheduler,
        SanaVideoPipeline,
        SanaVideoTransformer3DModel,
    )
    from transformers import Gemma2Config, Gemma2Model

    vae = tiny_wan_vae()
    torch.manual_seed(0)
    transformer = SanaVideoTransformer3DModel(
        in_channels=16,
        out_channels=16,
        num_attention_heads=2,
        attention_head_dim=12,
        num_layers=2,
        num_cross_attention_heads=2,
        cross_attention_head_dim=12,
        cross_attention_dim=24,
        caption_channels=8,
        mlp_ratio=2.5,
        sample_size=8,
        patch_size=(1, 2, 2),
        norm_elementwise_affine=False,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )
    torch.manual_seed(0)
    text_encoder = Gemma2Model(
        Gemma2Config(
            head_dim=16,
            hidden_size=8,
            intermediate_size=64,
            num_attention_heads=2,
            num_hidden_layers=1,
            num_key_value_heads=2,
            vocab_size=64,
            attn_implementation="eager",
        )
    )
    SanaVideoPipeline(
        tokenizer=tiny_tokenizer(),
        text_encoder=text_encoder,
        vae=vae,
        transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(),
    ).save_pretrained(path)
    return path


def build_skyreels_df(path: Path) -> Path:
    """One folder serves SkyReels-V2's three diffusion-forcing pipelines (same components)."""
    from diffusers import (
        SkyReelsV2DiffusionForcingPipeline,
        SkyReelsV2Transformer3DModel,
        UniPCMultistepScheduler,
    )

    vae = tiny_wan_vae()
    torch.manual_seed(0)
    transformer = SkyReelsV2Transformer3DModel(**WAN_TRANSFORMER_OPTIONS, num_layers=2)
    torch.manual_seed(0)
    SkyReelsV2DiffusionForcingPipeline(
        transformer=transformer,
        vae=vae,
        scheduler=UniPCMultistepScheduler(
            prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=8.0
        ),
        text_encoder=tiny_text_encoder(),
        tokenizer=tiny_tokenizer(),
    ).save_pretrained(path)
    return path


def build_wan_vace(path: Path) -> Path:
    """A tiny Wan VACE: the Wan VAE and a VACE transformer with control layers 0 and 2."""
    from diffusers import (
        FlowMatchEulerDiscreteScheduler,
        WanVACEPipeline,
        WanVACETransformer3DModel,
    )

    vae = tiny_wan_vae()
    torch.manual_seed(0)
    transformer = WanVACETransformer3DModel(
        **WAN_TRANSFORMER_OPTIONS, num_layers=3, vace_layers=[0, 2], vace_in_channels=96
    )
    torch.manual_seed(0)
    WanVACEPipeline(
        transformer=transformer,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0),
        text_encoder=tiny_text_encoder(),
        tokenizer=tiny_tokenizer(),
    ).save_pretrained(path)
    return path
