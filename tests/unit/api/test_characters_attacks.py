"""Adversarial tests of the characters promises (docs/characters.md), written from the
promises, not the code: each attack either held (kept for the coverage it adds) or showed
how a promise broke, and now holds since the fix (the same-name and limit races, truncated
photos, overlapping and case-folded @names, retention under a changed policy, withdrawn
consent, an underscore in a name)."""

from __future__ import annotations

import io
import logging
import struct
import threading
import zipfile
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from reelvault.accounts.keys import create_api_key
from reelvault.db.character_models import Character
from reelvault.privacy import consent
from reelvault.privacy.sweeper import sweep as sweep_once
from reelvault.runtime import Runtime
from reelvault.types import ObjectId
from tests.unit.api.conftest import make_client, wait_for

DATA = Path(__file__).parents[2] / "data"
PHOTO = DATA / "fullbody_yoga_beach.jpg"
NAME = "Ottoline Vasquez-Brun"  # a name nothing else in the code or data holds
LIVEPHOTO = {"engine": "livephoto", "size": "96x64", "fps": 8, "seconds": 1, "seed": 3}


@pytest.fixture
def standard(tmp_path: Path) -> Any:
    client, runtime = make_client(tmp_path, policy="standard")
    with client:
        client.runtime = runtime  # type: ignore[attr-defined]
        yield client
    runtime.close()


def _rt(client: TestClient) -> Runtime:
    runtime: Runtime = client.runtime  # type: ignore[attr-defined]
    return runtime


def _png(size: tuple[int, int] = (16, 16)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, "PNG")
    return out.getvalue()


def _create(
    client: TestClient,
    name: str = NAME,
    media: bytes | None = None,
    *,
    filename: str = "me.png",
    field: str = "video",
    affirmed: str = "true",
    headers: dict[str, str] | None = None,
    path: str = "/api/v1/characters",
) -> Any:
    data = {"name": name, "likeness_affirmed": affirmed}
    files = {field: (filename, media if media is not None else _png())}
    return client.post(path, data=data, files=files, headers=headers)


def _rows(runtime: Runtime) -> int:
    with runtime.session() as session:
        return int(session.scalar(select(func.count()).select_from(Character)) or 0)


def _vault_files(runtime: Runtime) -> set[Path]:
    return {path for path in runtime.settings.vault_dir.rglob("*") if path.is_file()}


def _is_clear_4xx(response: Any) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert response.json()["error"]["message"]


# --- promise 7: bad input is a clear 4xx, and (promise 2) a refusal keeps nothing ---------


def _refused_keeps_nothing(client: TestClient, response: Any, before: set[Path]) -> None:
    _is_clear_4xx(response)
    runtime = _rt(client)
    assert _rows(runtime) == 0
    assert _vault_files(runtime) == before


WEIRD_NAMES = [
    "\u200f" + NAME,  # RTL mark first
    "Otto\u202eenilotto",  # RTL override inside
    "Otto\u200bline",  # zero-width space
    "Otto\u200dline",  # zero-width joiner
    "Otto\u00adline",  # soft hyphen (invisible)
    "Otto\nline",
    "Otto\x00line",
    "Otto@line",
    "@Otto",
    "\u3000\u3000",  # ideographic spaces only
    "\t \u00a0 ",
    "x" * 81,
    "x" * 100_000,
    "-Otto",
    "_Otto",
    "Ottoline\U0001f600",  # emoji
]


def _refused_name(client: TestClient, name: str) -> None:
    before = _vault_files(_rt(client))
    response = _create(client, name)
    if response.status_code == 201:
        pytest.fail(f"accepted {name!r} as {response.json()['name']!r}")
    _refused_keeps_nothing(client, response, before)
    assert response.json()["error"]["param"] == "name"


def test_weird_names_are_a_clear_4xx_and_keep_nothing(standard: TestClient) -> None:
    for name in WEIRD_NAMES:
        _refused_name(standard, name)


def test_an_underscore_inside_a_name_is_refused_as_documented(standard: TestClient) -> None:
    _refused_name(standard, "Otto_line")


@pytest.mark.parametrize(
    "name", ["Zoë Ångström", "李雷", "Óscar O\u2019Neil", "Ægir", "x" * 80, "Dr. J. Smith-Jones"]
)
def test_real_names_in_any_script_are_accepted_and_usable(standard: TestClient, name: str) -> None:
    made = _create(standard, name)
    assert made.status_code == 201, made.text
    assert made.json()["name"] == name
    body = {**LIVEPHOTO, "task": "image_to_video", "prompt": f"@{name} waves"}
    response = standard.post("/api/v1/jobs", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["task"] == "image_to_video"


def _invalid_png_bomb() -> bytes:
    """A PNG header claiming 60000 x 60000 pixels, with a tiny IDAT of zeros."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    width = height = 60_000
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = zlib.compressobj(9)
    data = raw.compress(b"\x00" * (width + 1) * 64) + raw.flush()
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def _clip(frames: int, size: tuple[int, int]) -> bytes:
    """A real H.264 clip at 1 frame per second (so ``frames`` seconds long)."""
    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=1)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "ultrafast"}
        for index in range(frames):
            pixels = np.full((size[1], size[0], 3), index * 9 % 256, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def _broken_files() -> list[tuple[bytes, str]]:
    """Made when a test runs, not when the module is collected."""
    return [
        (b"", "empty.jpg"),
        (b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF", "me.pdf"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "me.gif"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "me.svg"),
        (_invalid_png_bomb(), "bomb.png"),
        (b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200, "hollow.mp4"),
        (b"\x1aE\xdf\xa3" + b"\x00" * 64, "hollow.webm"),
        (_clip(61, (64, 48)), "long.mp4"),  # past the 60 s an upload may last
        (_clip(1, (4160, 64)), "wide.mp4"),  # past the 4096 pixels of a side
    ]


def test_wrong_or_broken_files_are_a_clear_4xx_and_keep_nothing(standard: TestClient) -> None:
    before = _vault_files(_rt(standard))
    for media, filename in _broken_files():
        response = _create(standard, media=media, filename=filename)
        _refused_keeps_nothing(standard, response, before)


def test_huge_dimensions_are_refused(standard: TestClient) -> None:
    before = _vault_files(_rt(standard))
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")  # 400 M pixels in ~50 KB
    response = _create(standard, media=out.getvalue(), filename="big.png")
    _refused_keeps_nothing(standard, response, before)


def test_no_file_two_files_and_json_are_clear_4xx(standard: TestClient) -> None:
    before = _vault_files(_rt(standard))
    form = {"name": NAME, "likeness_affirmed": "true"}
    no_file = standard.post("/api/v1/characters", data=form, files={"other": ("x.txt", b"x")})
    _refused_keeps_nothing(standard, no_file, before)
    only_fields = standard.post(
        "/api/v1/characters",
        content=b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nX\r\n--b--\r\n',
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    _refused_keeps_nothing(standard, only_fields, before)
    two = [("video", ("a.png", _png())), ("image", ("b.png", _png()))]
    both = standard.post("/api/v1/characters", data=form, files=two)
    _refused_keeps_nothing(standard, both, before)
    same_field = [("video", ("a.png", _png())), ("video", ("b.png", _png()))]
    twice = standard.post("/api/v1/characters", data=form, files=same_field)
    _refused_keeps_nothing(standard, twice, before)
    as_json = standard.post("/api/v1/characters", json={**form, "likeness_affirmed": True})
    _refused_keeps_nothing(standard, as_json, before)
    for path in ("/api/v1/characters", "/v1/videos/characters"):
        garbage = standard.post(
            path, content=b"not multipart", headers={"content-type": "multipart/form-data"}
        )
        _refused_keeps_nothing(standard, garbage, before)
    unknown = standard.post(
        "/api/v1/characters",
        data={**form, "role": "admin"},
        files={"video": ("a.png", _png())},
    )
    _refused_keeps_nothing(standard, unknown, before)


def test_anything_but_an_affirmation_is_refused_and_keeps_nothing(standard: TestClient) -> None:
    runtime = _rt(standard)
    before = _vault_files(runtime)
    for value in ["false", "0", "no", "", "maybe", "off", "null", "[true]"]:
        response = _create(standard, affirmed=value)
        _refused_keeps_nothing(standard, response, before)
    missing = standard.post(
        "/api/v1/characters", data={"name": NAME}, files={"video": ("me.png", _png())}
    )
    _refused_keeps_nothing(standard, missing, before)
    assert not [i for i in consent.history(runtime, "local") if i.purpose == consent.LIKENESS]


def test_a_name_conflict_keeps_nothing_new(standard: TestClient) -> None:
    runtime = _rt(standard)
    assert _create(standard).status_code == 201
    before = _vault_files(runtime)
    again = _create(standard, NAME.swapcase())
    assert again.status_code == 409
    assert _rows(runtime) == 1 and _vault_files(runtime) == before


# --- races and the per-owner limit ---------------------------------------------------------


def _at_once(count: int, call: Any) -> list[Any]:
    """``call(index)`` on ``count`` threads released together."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        results[index] = call(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_creations_with_one_name_make_one_character(standard: TestClient) -> None:
    responses = _at_once(6, lambda i: _create(standard, NAME if i % 2 else NAME.upper()))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1, statuses
    assert all(s == 409 for s in statuses if s != 201), statuses
    assert _rows(_rt(standard)) == 1


def test_more_than_50_characters_is_a_clear_4xx_that_keeps_nothing(standard: TestClient) -> None:
    runtime = _rt(standard)
    for index in range(50):
        assert _create(standard, f"Person {index}").status_code == 201
    before = _vault_files(runtime)
    response = _create(standard, "Person 50")
    assert response.status_code == 409
    assert _rows(runtime) == 50 and _vault_files(runtime) == before
    # deleting one makes room again
    first = standard.get("/api/v1/characters").json()["data"][0]["id"]
    assert standard.delete(f"/api/v1/characters/{first}").status_code == 200
    assert _create(standard, "Person 50").status_code == 201


def test_concurrent_creations_cannot_pass_the_limit_of_50(standard: TestClient) -> None:
    runtime = _rt(standard)
    for index in range(48):
        assert _create(standard, f"Person {index}").status_code == 201
    responses = _at_once(6, lambda i: _create(standard, f"Racer {i}"))
    statuses = sorted(r.status_code for r in responses)
    assert _rows(runtime) <= 50, statuses


# --- using a character by name -------------------------------------------------------------


def _job(
    client: TestClient, prompt: str, headers: dict[str, str] | None = None, **extra: Any
) -> Any:
    body = {**LIVEPHOTO, "task": "image_to_video", "prompt": prompt, **extra}
    return client.post("/api/v1/jobs", json=body, headers=headers)


@pytest.mark.parametrize("longer", ["Ann Lee", "Ann-Marie", "Ann.B"])
def test_a_name_that_extends_another_can_still_be_used_by_at_name(
    standard: TestClient, longer: str
) -> None:
    assert _create(standard, "Ann").status_code == 201
    assert _create(standard, longer).status_code == 201
    response = _job(standard, f"@{longer} waves at the camera")
    assert response.status_code == 201, response.text


def test_at_name_matches_in_any_case_as_uniqueness_does(standard: TestClient) -> None:
    assert _create(standard, "Jürgen Groß").status_code == 201
    assert _create(standard, "JÜRGEN GROSS").status_code == 409  # the same name, any case
    response = _job(standard, "@JÜRGEN GROSS waves")
    assert response.status_code == 201, response.text
    assert _job(standard, "wave", character="jürgen gross").status_code == 201


def test_at_name_resolves_to_the_callers_own_character_not_a_namesake(
    standard: TestClient,
) -> None:
    runtime = _rt(standard)
    mine = _create(standard, media=_png((16, 16))).json()  # before any key: owner "local"
    other = {"Authorization": f"Bearer {create_api_key(runtime, name='other').secret}"}
    theirs = _create(standard, media=_png((24, 24)), headers=other).json()
    assert mine["id"] != theirs["id"]
    job = _job(standard, f"@{NAME} waves", headers=other).json()
    assert wait_for(standard, job["id"], headers=other)["status"] == "completed"
    with runtime.session() as session:
        from reelvault.db.models import StoredObject
        from reelvault.jobs.request import INPUT_KIND_PREFIX

        image = session.scalar(
            select(StoredObject).where(
                StoredObject.job_id == job["id"], StoredObject.kind == INPUT_KIND_PREFIX + "image"
            )
        )
        assert image is not None
        picture = Image.open(io.BytesIO(runtime.vault.read_bytes(ObjectId(image.id))))
        assert picture.size == (24, 24)  # their own, never mine
    # by id, mine is a 404 to them, also on the OpenAI endpoint
    openai = standard.post(
        "/v1/videos",
        json={"prompt": "wave", "model": "livephoto", "character": mine["id"]},
        headers=other,
    )
    assert openai.status_code == 404, openai.text


@pytest.mark.parametrize(
    ("media", "filename"), [(PHOTO.read_bytes()[:2000], "cut.jpg"), (_png()[:40], "cut.png")]
)
def test_a_truncated_photo_is_refused_when_the_character_is_made(
    standard: TestClient, media: bytes, filename: str
) -> None:
    made = _create(standard, media=media, filename=filename)
    if made.status_code == 201:
        job = _job(standard, f"@{NAME} waves").json()
        status = wait_for(standard, job["id"])["status"]
        pytest.fail(f"a truncated photo became a character; its job ended {status}")
    _is_clear_4xx(made)


# --- nothing plaintext in logs; deletion; export and access ----------------------------------


def test_no_name_in_any_log_line_whatever_the_path(
    standard: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    made = _create(standard).json()
    _create(standard, NAME.upper())  # 409, whose message names it
    _create(standard, NAME + " Jr", affirmed="false")  # refused
    _create(standard, "Other", media=b"not a picture", filename="x.jpg")  # 415
    job = _job(standard, f"@{NAME} waves").json()
    wait_for(standard, job["id"])
    _job(standard, "wave", character="Nobody " + NAME)  # 404 naming the name
    standard.get(f"/api/v1/characters/{made['id']}")
    standard.delete(f"/api/v1/characters/{made['id']}")
    _job(standard, "wave", character=NAME)  # 404 after deletion
    logged = "\n".join(record.getMessage() + repr(record.__dict__) for record in caplog.records)
    assert any(r.name == "reelvault.access" for r in caplog.records)  # the log was seen
    assert NAME.lower() not in logged.lower()
    assert NAME.split()[0].lower() not in logged.lower()


def test_a_job_made_with_it_outlives_its_deletion_even_if_still_queued(
    standard: TestClient,
) -> None:
    runtime = _rt(standard)
    made = _create(standard).json()
    job = _job(standard, f"@{NAME} waves").json()  # maybe not yet run
    assert standard.delete(f"/api/v1/characters/{made['id']}").status_code == 200
    assert wait_for(standard, job["id"])["status"] == "completed"
    assert standard.get(f"/api/v1/jobs/{job['id']}/content").status_code == 200
    # and the @name is plain text afterwards: no picture, so the image→video job is refused
    after = _job(standard, f"@{NAME} waves")
    assert after.status_code == 422 and after.json()["error"]["param"] == "image"
    assert standard.delete(f"/api/v1/characters/{made['id']}").status_code == 404
    assert _rows(runtime) == 0


def test_export_and_access_count_only_the_owners_own(standard: TestClient) -> None:
    runtime = _rt(standard)
    _create(standard)
    _create(standard, "Second Self", media=PHOTO.read_bytes(), filename="me.jpg")
    access = standard.get("/api/v1/privacy/access").json()
    assert access["held"]["character"]["characters"] == 2
    other = {"Authorization": f"Bearer {create_api_key(runtime, name='other').secret}"}
    theirs = standard.get("/api/v1/privacy/access", headers=other).json()
    assert "character" not in theirs["held"] or theirs["held"]["character"]["characters"] == 0
    exported = standard.get("/api/v1/privacy/export", headers=other)
    assert exported.status_code == 200
    with zipfile.ZipFile(io.BytesIO(exported.content)) as zipped:
        assert not [n for n in zipped.namelist() if n.startswith("media/characters/")]
        assert NAME.encode() not in zipped.read("data.json")


def test_the_openai_endpoint_refuses_under_the_ephemeral_policy_and_keeps_nothing(
    tmp_path: Path,
) -> None:
    client, runtime = make_client(tmp_path)  # the default profile: ephemeral
    with client:
        before = _vault_files(runtime)
        response = _create(client, path="/v1/videos/characters")
        assert response.status_code == 400, response.text
        assert _rows(runtime) == 0 and _vault_files(runtime) == before
        assert not [i for i in consent.history(runtime, "local") if i.purpose == consent.LIKENESS]
    runtime.close()


@pytest.mark.parametrize(
    ("first", "then", "days"), [("library", "standard", 91), ("standard", "ephemeral", 1)]
)
def test_the_sweeper_applies_the_retention_of_the_policy_in_force(
    tmp_path: Path, first: str, then: str, days: int
) -> None:
    client, runtime = make_client(tmp_path, policy=first)
    with client:
        assert _create(client).status_code == 201
    runtime.close()
    now = [datetime.now(UTC) + timedelta(days=days)]  # past the new policy's retention
    client, runtime = make_client(tmp_path, policy=then)
    runtime.clock = lambda: now[0]
    with client:
        sweep_once(runtime)
        left = _rows(runtime)
    runtime.close()
    assert left == 0, f"kept under {then!r} after {days} days"


def test_another_owners_id_looks_exactly_like_no_character(standard: TestClient) -> None:
    runtime = _rt(standard)
    mine = _create(standard).json()
    other = {"Authorization": f"Bearer {create_api_key(runtime, name='other').secret}"}
    fake = "char_" + "a" * 26
    for path in ("/api/v1/characters/{}", "/v1/videos/characters/{}"):
        real = standard.get(path.format(mine["id"]), headers=other)
        none = standard.get(path.format(fake), headers=other)
        assert real.status_code == none.status_code == 404
        assert real.text.replace(mine["id"], fake) == none.text
    # their @char_id in a prompt is plain text too
    mention = _job(standard, f"@{mine['id']} waves", headers=other)
    assert mention.status_code == 422 and mention.json()["error"]["param"] == "image"


def test_odd_character_references_and_ids_are_a_clear_4xx(standard: TestClient) -> None:
    references = ["x" * 100_000, "bad\x00id", "@", "   ", "char_" + "\u202e" * 40, "%2e%2e/etc"]
    for reference in references:
        _is_clear_4xx(_job(standard, "wave", character=reference))
    for character_id in ["%00", "a" * 65, "..%2F..%2Fetc", "char_%E2%80%AE"]:
        for path in ("/api/v1/characters/", "/v1/videos/characters/"):
            _is_clear_4xx(standard.get(path + character_id))
        _is_clear_4xx(standard.delete("/api/v1/characters/" + character_id))


def test_a_video_character_and_its_use_leave_no_plaintext_anywhere(
    standard: TestClient, tmp_path: Path
) -> None:
    from tests.unit.api.test_characters import _clip

    clip = _clip()
    assert _create(standard, media=clip, filename="me.mp4").status_code == 201
    job = _job(standard, f"@{NAME} waves").json()
    assert wait_for(standard, job["id"])["status"] == "completed"
    needles = [NAME.encode(), NAME.encode("utf-16-le"), clip[-256:], clip[1000:1064]]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for needle in needles:
                assert needle not in content, f"{needle[:12]!r} in {path}"


def test_withdrawing_the_likeness_consent_stops_its_use(standard: TestClient) -> None:
    assert _create(standard).status_code == 201
    withdrawn = standard.put("/api/v1/privacy/consents/likeness", json={"granted": False})
    assert withdrawn.status_code == 200
    job = _job(standard, f"@{NAME} waves")
    assert job.status_code != 201 or job.json()["task"] != "image_to_video", job.text


def test_erasing_one_owner_leaves_anothers_characters(standard: TestClient) -> None:
    runtime = _rt(standard)
    mine = _create(standard, media=_png((16, 16))).json()
    key = create_api_key(runtime, name="other")
    other = {"Authorization": f"Bearer {key.secret}"}
    assert _create(standard, headers=other).status_code == 201
    with runtime.session() as session:
        theirs = session.scalar(select(Character).where(Character.owner_id == key.owner_id))
        assert theirs is not None
        their_objects = [theirs.media_object, theirs.name_object]
    erased = standard.post("/api/v1/privacy/erase", headers=other)
    assert erased.status_code == 200 and erased.json()["erased"]["characters"] == 1
    assert not any(runtime.vault.exists(ObjectId(o)) for o in their_objects)
    assert _rows(runtime) == 1
    with runtime.session() as session:
        row = session.get(Character, mine["id"])
        assert row is not None and runtime.vault.exists(ObjectId(row.media_object))


def test_a_job_naming_it_in_the_character_field_leaves_no_plaintext_name(
    standard: TestClient, tmp_path: Path
) -> None:
    assert _create(standard).status_code == 201
    native = _job(standard, "wave", character=NAME).json()
    openai = standard.post(
        "/v1/videos", json={"prompt": "wave", "model": "livephoto", "character": NAME.upper()}
    )
    assert openai.status_code in (200, 201), openai.text
    for job_id in (native["id"], openai.json()["id"]):
        assert wait_for(standard, job_id)["status"] == "completed"
    needles = [NAME.encode(), NAME.upper().encode(), NAME.encode("utf-16-le")]
    for path in tmp_path.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for needle in needles:
                assert needle not in content, f"{needle[:12]!r} in {path}"


def test_a_dance_with_someone_elses_or_two_pictures_is_refused_and_keeps_nothing(
    standard: TestClient,
) -> None:
    runtime = _rt(standard)
    mine = _create(standard).json()
    other = {"Authorization": f"Bearer {create_api_key(runtime, name='other').secret}"}
    moves = (DATA / "SYNTHETIC_dance_moves_576.mp4").read_bytes()
    fields = {"task": "dance", "engine": "fake", "size": "64x48", "fps": "8", "seconds": "1"}
    before = _vault_files(runtime)
    for reference in (mine["id"], NAME):
        response = standard.post(
            "/api/v1/jobs",
            data={**fields, "character": reference},
            files={"reference_video": ("moves.mp4", moves, "video/mp4")},
            headers=other,
        )
        assert response.status_code == 404, response.text
        assert _vault_files(runtime) == before  # their dance upload was shredded
    own = _create(standard, "Dancer", headers=other).json()
    both = standard.post(
        "/api/v1/jobs",
        data={**fields, "character": own["id"]},
        files={
            "image": ("me.png", _png(), "image/png"),
            "reference_video": ("moves.mp4", moves, "video/mp4"),
        },
        headers=other,
    )
    assert both.status_code == 400, both.text
    # only the second character: 2 objects (media, name), each a blob and a key
    assert _rows(runtime) == 2 and len(_vault_files(runtime)) == len(before) + 4
