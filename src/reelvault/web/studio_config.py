"""What the studio needs to know about this deployment: policy words, upload limits, sign-in.

Built from the live policy and settings, so the page says what the code does.
"""

from __future__ import annotations

from pydantic import BaseModel

from reelvault.accounts.scopes import ADMIN, ALL_SCOPES, SCOPE_HELP
from reelvault.config import Settings
from reelvault.media import bvh
from reelvault.media.sniff import BVH
from reelvault.media.validate import MediaLimits
from reelvault.policy import Policy
from reelvault.policy.model import RetentionKind
from reelvault.privacy.consent import ANALYTICS, is_offered, is_opt_in
from reelvault.privacy.notify import smtp_settings
from reelvault.types import DataClass

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
VIDEO_TYPES = ("video/mp4", "video/quicktime", "video/webm", "video/x-matroska")
MOTION_TYPES = (BVH.mime,)


class UploadLimits(BaseModel):
    """The server's checks, repeated in the browser so a wrong file is refused at once."""

    max_image_bytes: int
    max_video_bytes: int
    image_types: list[str]
    video_types: list[str]
    motion_types: list[str]
    """A dance's reference may also be a BVH motion-capture file (``.bvh``)."""
    max_motion_bytes: int
    min_image_side: int
    max_image_side: int
    max_video_seconds: float


class SignInProvider(BaseModel):
    """An OpenID Connect provider: its button links to ``/auth/oidc/{name}/login``."""

    name: str
    title: str


class ScopeChoice(BaseModel):
    name: str
    help: str
    admin_only: bool


class AccountsConfig(BaseModel):
    """Whether people can have accounts here, and how they sign in."""

    enabled: bool
    providers: list[SignInProvider]
    key_scopes: list[ScopeChoice]


class StudioConfig(BaseModel):
    policy: str
    policy_title: str
    policy_version_hash: str
    ephemeral: bool
    output_retention_text: str
    upload_retention_text: str
    prompt_retention_text: str
    gallery_note: str
    minimum_age: int
    max_prompt_chars: int
    consent_banner: bool
    notify_available: bool
    uploads: UploadLimits
    accounts: AccountsConfig
    # Whether people can be saved as characters here, and for how long (docs/characters.md).
    characters: bool = False
    character_retention_text: str = ""


def _gallery_note(policy: Policy, ephemeral: bool) -> str:
    output = policy.rule(DataClass.OUTPUT).retention
    if output.kind is RetentionKind.UNTIL_DELETED:
        return "Your videos are kept here until you delete them."
    if ephemeral:
        return (
            "Nothing is kept beyond the download window: each video is deleted from the "
            f"service {output.describe()} after it is made, and prompts and uploads are "
            "deleted when the job ends. Download what you want to keep."
        )
    return (
        f"Each video is deleted from the service {output.describe()} after it is made. "
        "Download what you want to keep."
    )


def sign_in_providers(settings: Settings) -> list[SignInProvider]:
    """The OpenID Connect providers (``oidc_providers``) the sign-in page offers a button
    for: names and display names only, never the client id or secret."""
    return [
        SignInProvider(name=name, title=provider.display_name)
        for name, provider in sorted(settings.oidc_providers.items())
    ]


def accounts_config(settings: Settings) -> AccountsConfig:
    return AccountsConfig(
        enabled=settings.accounts_enabled,
        providers=sign_in_providers(settings) if settings.accounts_enabled else [],
        key_scopes=[
            ScopeChoice(name=name, help=SCOPE_HELP[name], admin_only=name == ADMIN)
            for name in ALL_SCOPES
        ],
    )


def studio_config(policy: Policy, settings: Settings) -> StudioConfig:
    media = MediaLimits()  # the checks the CPU engines apply to what they are given
    output = policy.rule(DataClass.OUTPUT).retention
    ephemeral = (
        not policy.keeps_beyond_job(DataClass.PROMPT)
        and not policy.keeps_beyond_job(DataClass.UPLOAD)
        and output.kind is RetentionKind.DURATION
    )
    # A banner only where something would need a yes first: opt-in analytics. The studio
    # itself sets no optional cookies, and provider consent is asked where it applies.
    banner = is_offered(policy, ANALYTICS) and is_opt_in(policy, ANALYTICS)
    return StudioConfig(
        policy=policy.name,
        policy_title=policy.title,
        policy_version_hash=policy.version_hash,
        ephemeral=ephemeral,
        output_retention_text=output.describe(),
        upload_retention_text=policy.rule(DataClass.UPLOAD).retention.describe(),
        prompt_retention_text=policy.rule(DataClass.PROMPT).retention.describe(),
        gallery_note=_gallery_note(policy, ephemeral),
        minimum_age=policy.minimum_age,
        max_prompt_chars=settings.max_prompt_chars,
        consent_banner=banner,
        notify_available=smtp_settings(settings) is not None,
        uploads=UploadLimits(
            max_image_bytes=settings.max_image_bytes,
            max_video_bytes=settings.max_video_bytes,
            image_types=list(IMAGE_TYPES),
            video_types=list(VIDEO_TYPES),
            motion_types=list(MOTION_TYPES),
            max_motion_bytes=min(settings.max_video_bytes, bvh.max_bytes(media)),
            min_image_side=media.min_image_side,
            max_image_side=media.max_image_side,
            max_video_seconds=media.max_video_seconds,
        ),
        accounts=accounts_config(settings),
        characters=policy.keeps_characters,
        character_retention_text=policy.rule(DataClass.CHARACTER).retention.describe(),
    )


__all__ = [
    "IMAGE_TYPES",
    "VIDEO_TYPES",
    "AccountsConfig",
    "SignInProvider",
    "StudioConfig",
    "UploadLimits",
    "sign_in_providers",
    "studio_config",
]
