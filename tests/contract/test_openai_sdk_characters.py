"""Characters through the official openai SDK, against a live server (#20 part 4).

``client.videos.create_character`` / ``get_character`` answer with the SDK's own response
models (validated strictly); a later ``client.videos.create`` that names the character
as ``@name`` makes an image→video from the saved photo, with no upload.
"""

from __future__ import annotations

import openai
import pytest
from openai.types import VideoCreateCharacterResponse, VideoGetCharacterResponse

from tests.contract import test_openai_sdk_derived as derived
from tests.contract.test_openai_sdk_derived import PHOTO, finished, frames_of

server = derived.server  # the live server (standard policy) and an SDK client of it
client = derived.client

AFFIRMED = {"likeness_affirmed": True}  # reelvault's own field, sent with extra_body


def test_a_character_is_made_fetched_and_used_by_name(client: openai.OpenAI) -> None:
    made = client.videos.create_character(
        name="Ottoline Brisk",
        video=("me.jpg", PHOTO.read_bytes(), "image/jpeg"),
        extra_body=AFFIRMED,
    )
    made = VideoCreateCharacterResponse.model_validate(made.model_dump(mode="json"), strict=True)
    assert made.id and made.id.startswith("char_") and made.name == "Ottoline Brisk"
    fetched = client.videos.get_character(made.id)
    fetched = VideoGetCharacterResponse.model_validate(fetched.model_dump(mode="json"), strict=True)
    assert (fetched.id, fetched.name, fetched.created_at) == (made.id, made.name, made.created_at)

    video = client.videos.create(
        prompt="@Ottoline Brisk looks up, slow zoom in", seconds="4", size="1280x720"
    )
    done = finished(client, video.id)
    assert done.model == "reelvault-livephoto"  # the saved photo made it image→video
    frames = frames_of(client.videos.download_content(done.id).read())
    assert len(frames) >= 24 and frames[0].shape[:2] == (720, 1280)


def test_a_character_needs_the_likeness_affirmation(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        client.videos.create_character(
            name="Ottoline Brisk", video=("me.jpg", PHOTO.read_bytes(), "image/jpeg")
        )
    assert refused.value.code == "likeness_affirmation_required"


def test_an_unknown_character_is_a_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        client.videos.get_character("char_" + "a" * 26)
