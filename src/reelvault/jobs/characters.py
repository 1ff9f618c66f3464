"""Characters: a person's appearance saved under a name, used later without uploading again.

A character is likeness data (the ``character`` data class of the policy): the photo or
short video its owner gave and the name they chose, both encrypted in the vault, kept
until the owner deletes it or the policy's retention ends, never visible to another
owner (every lookup is by owner: another owner's character is a 404, as if it did not
exist). Creating one needs the affirmation that the caller is the person shown or has
their permission; the affirmation goes into the consent ledger with the policy's version
(through the job gate, as a job's affirmation does). No biometric template is stored:
a job that uses a character gets its own copy of the picture and computes whatever it
needs (landmarks, masks) in its scratch space, as for any upload.

A job names a character explicitly (``character``: its id or name) or in its prompt
(``@name``). The character's picture becomes the job's ``image`` input: the image,
re-encrypted under a new key, or, for a character made from a video, the sharpest of
its first frames (:func:`reelvault.media.stills.best_still`), decoded from an unnamed
scratch file. Deleting the character later leaves the jobs made with it alone.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from PIL import Image
from sqlalchemy import ColumnElement, Select, and_, delete, func, not_, or_, select, true
from sqlalchemy.orm import Session

from reelvault.db.character_models import Character
from reelvault.db.locks import lock_keys
from reelvault.errors import (
    BadRequestError,
    ConflictError,
    LikenessAffirmationRequiredError,
    NotFoundError,
    UnsupportedMediaError,
    ValidationError,
    VaultError,
)
from reelvault.jobs.request import JobRequest
from reelvault.jobs.uploads import UploadedInput, discard_uploads, spooled
from reelvault.media.sniff import ALL_TYPES, PNG
from reelvault.media.stills import best_still, png_bytes
from reelvault.policy.model import RetentionKind
from reelvault.runtime import Runtime
from reelvault.types import DataClass, ObjectId, Task, new_character_id, new_object_id

MAX_NAME_CHARS = 80
MAX_PER_OWNER = 50
AFFIRMATION_MESSAGE = (
    "a character is a real person's likeness: affirm that you are the person shown or have "
    "their permission (likeness_affirmed=true)"
)
NOT_KEPT_MESSAGE = (
    "this server's privacy policy keeps nothing beyond a job, so it cannot save characters"
)
_NAME = re.compile(r"^[^\W_](?:[^\W_]|[ .'\u2019-])*$")


@dataclass(frozen=True)
class CharacterView:
    """A character as its owner sees it (the name is theirs, shown only to them)."""

    id: str
    name: str
    created_at: datetime
    expires_at: datetime | None
    media_type: str


def clean_name(name: str) -> str:
    """The display name, NFC-normalised and trimmed; 400 unless 1 to 80 letters, digits,
    spaces and ``. ' -`` (a name is written in prompts as ``@name``)."""
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned or len(cleaned) > MAX_NAME_CHARS:
        raise ValidationError(f"name must be 1 to {MAX_NAME_CHARS} characters", param="name")
    if not _NAME.match(cleaned):
        raise ValidationError(
            "name may hold letters, digits, spaces and . ' - and must start with a letter or digit",
            param="name",
        )
    return cleaned


def check_offered(runtime: Runtime) -> None:
    """400 where the policy keeps nothing beyond a job (``character`` retention 0)."""
    if not runtime.policy.keeps_characters:
        raise BadRequestError(NOT_KEPT_MESSAGE, param="video")


def require_affirmation(likeness_affirmed: bool) -> None:
    """400 ``likeness_affirmation_required`` unless the caller affirmed the likeness."""
    if not likeness_affirmed:
        raise LikenessAffirmationRequiredError(AFFIRMATION_MESSAGE, param="likeness_affirmed")


def owned_by(owner_id: str) -> ColumnElement[bool]:
    """The filter every lookup of a character goes through: its owner's, nobody else's."""
    return Character.owner_id == owner_id


def _key(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def _view(runtime: Runtime, row: Character) -> CharacterView:
    name = runtime.vault.read_bytes(ObjectId(row.name_object)).decode("utf-8")
    return CharacterView(row.id, name, row.created_at, row.expires_at, row.media_type)


def past_retention(runtime: Runtime) -> ColumnElement[bool]:
    """Characters the policy in force no longer keeps: past the ``expires_at`` set when
    they were made, or older than the ``character`` retention now (an operator who
    shortens it, or switches to a profile that keeps none, shortens it for all)."""
    now = runtime.clock()
    ended = and_(Character.expires_at.is_not(None), Character.expires_at <= now)
    retention = runtime.policy.rule(DataClass.CHARACTER).retention
    if not retention.keeps_beyond_job():
        return true()
    if retention.kind is RetentionKind.DURATION and retention.duration is not None:
        return or_(ended, Character.created_at <= now - retention.duration)
    return ended


def _rows(runtime: Runtime, session: Session, owner_id: str) -> list[Character]:
    rows = session.scalars(
        select(Character)
        .where(owned_by(owner_id), not_(past_retention(runtime)))
        .order_by(Character.created_at, Character.id)
    ).all()
    return list(rows)


def _owned_rows(runtime: Runtime, owner_id: str) -> list[Character]:
    with runtime.session() as session:
        rows = _rows(runtime, session, owner_id)
        session.expunge_all()
    return rows


def list_characters(runtime: Runtime, owner_id: str) -> list[CharacterView]:
    """The owner's characters, oldest first (names decrypted: at most 50 small objects)."""
    return _views(runtime, _owned_rows(runtime, owner_id))


def _views(runtime: Runtime, rows: Sequence[Character]) -> list[CharacterView]:
    views = []
    for row in rows:
        try:
            views.append(_view(runtime, row))
        except VaultError:
            continue  # shredded by a deletion that is finishing now
    return views


def get_character(runtime: Runtime, owner_id: str, character_id: str) -> CharacterView:
    """One of the owner's characters; 404 for anyone else's, or one that is gone."""
    for view in list_characters(runtime, owner_id):
        if view.id == character_id:
            return view
    raise NotFoundError(f"no character {character_id!r}", param="character_id")


def _check_media(runtime: Runtime, upload: UploadedInput) -> None:
    """The picture must decode now, not fail every job that later uses it: a video must
    give a still, a photo must decode whole (a truncated JPEG's header looks fine)."""
    if upload.media_type.kind == "video":
        _still_png(runtime, upload.object_id)
        return
    data = runtime.vault.read_bytes(upload.object_id)  # within the upload's byte limit
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise UnsupportedMediaError("the photo is corrupt or truncated", param="video") from None


def create_character(
    runtime: Runtime,
    owner_id: str,
    *,
    name: str,
    upload: UploadedInput,
    likeness_affirmed: bool,
) -> CharacterView:
    """Save ``upload`` (already validated and encrypted) as a character named ``name``.

    Refused, with the upload shredded: when the policy keeps no characters, without the
    likeness affirmation, for a bad or taken name (names are unique per owner, whatever
    their case), past 50 characters, or for a video that does not decode.
    """
    try:
        check_offered(runtime)
        cleaned = clean_name(name)
        require_affirmation(likeness_affirmed)
        _check_room(list_characters(runtime, owner_id), cleaned)  # before the ledger entry
        _check_media(runtime, upload)
        # Recorded before the character exists: no character without its ledger entry.
        runtime.hooks.gate.affirm_likeness(runtime, owner_id)
        return _store(runtime, owner_id, cleaned, upload)
    except BaseException:
        discard_uploads(runtime, [upload])
        raise


def _check_room(existing: Sequence[CharacterView], name: str) -> None:
    if len(existing) >= MAX_PER_OWNER:
        raise ConflictError(
            f"you have {MAX_PER_OWNER} characters, the most one owner may keep: delete one",
            param="name",
        )
    if any(_key(view.name) == _key(name) for view in existing):
        raise ConflictError(f"you already have a character named {name!r}", param="name")


def _store(runtime: Runtime, owner_id: str, name: str, upload: UploadedInput) -> CharacterView:
    now = runtime.clock()
    name_object = runtime.vault.put_bytes(name.encode("utf-8")).object_id
    row = Character(
        id=new_character_id(),
        owner_id=owner_id,
        name_object=name_object,
        media_object=upload.object_id,
        media_type=upload.media_type.mime,
        media_bytes=upload.size,
        created_at=now,
        policy_version=runtime.policy.version_hash,
        data_class=DataClass.CHARACTER.value,
        expires_at=runtime.policy.expires_at(DataClass.CHARACTER, now=now),
    )
    try:
        with runtime.session() as session:
            # Checked again under the owner's lock: two requests at once must not both
            # pass the check above (one name twice, 51 characters).
            lock_keys(session.connection(), ["character:" + owner_id])
            _check_room(_views(runtime, _rows(runtime, session, owner_id)), name)
            session.add(row)
    except BaseException:
        runtime.vault.shred(name_object)
        raise
    return CharacterView(row.id, name, now, row.expires_at, row.media_type)


def _shred_rows(runtime: Runtime, rows: Sequence[Character]) -> int:
    """Keys first, then rows: a crash in between leaves rows whose media is unreadable."""
    for row in rows:
        runtime.vault.shred(ObjectId(row.media_object))
        runtime.vault.shred(ObjectId(row.name_object))
    if rows:
        with runtime.session() as session:
            session.execute(delete(Character).where(Character.id.in_([r.id for r in rows])))
    return len(rows)


def delete_character(runtime: Runtime, owner_id: str, character_id: str) -> None:
    """Crypto-shred one of the owner's characters (its media and name); 404 otherwise."""
    with runtime.session() as session:
        row = session.scalar(
            select(Character).where(Character.id == character_id, owned_by(owner_id))
        )
        if row is None:
            raise NotFoundError(f"no character {character_id!r}", param="character_id")
        session.expunge(row)
    _shred_rows(runtime, [row])


def erase_characters(runtime: Runtime, owner_id: str) -> int:
    """Crypto-shred every character of ``owner_id`` (erasure); how many there were."""
    with runtime.session() as session:
        rows = list(session.scalars(select(Character).where(owned_by(owner_id))))
        session.expunge_all()
    return _shred_rows(runtime, rows)


def delete_expired_characters(runtime: Runtime, *, held_owners: Select[str] | None = None) -> int:
    """Crypto-shred the characters whose retention has ended (the sweeper's pass), except
    those of ``held_owners`` (a subquery: owners who restricted processing keep theirs)."""
    query = select(Character).where(past_retention(runtime))
    if held_owners is not None:
        query = query.where(Character.owner_id.not_in(held_owners))
    with runtime.session() as session:
        rows = session.scalars(query).all()
        session.expunge_all()
    return _shred_rows(runtime, list(rows))


def count_characters(runtime: Runtime, owner_id: str) -> int:
    with runtime.session() as session:
        return int(
            session.scalar(select(func.count()).select_from(Character).where(owned_by(owner_id)))
            or 0
        )


# --- using a character in a job ------------------------------------------------------


# Where a mention may end: the end, a space, punctuation that ends a word, or "'s".
_MENTION_END = r"(?=$|\s|[,;:!?)\]}\"]|['\u2019]s\b|[.'\u2019-](?:\s|$))"


def _mentioned(views: Sequence[CharacterView], prompt: str) -> list[CharacterView]:
    """The characters ``prompt`` names as ``@name`` (or ``@char_…``), in prompt order.

    Matched on the same case-folded form that makes names unique, longest name first,
    so "@Ann Lee" is Ann Lee even where Ann exists too, and "@Ann-Marie" is not Ann.
    """
    text = _key(prompt)
    labels = sorted(
        ((_key(label), view) for view in views for label in (view.name, view.id)),
        key=lambda item: len(item[0]),
        reverse=True,
    )
    taken: list[tuple[int, int, CharacterView]] = []
    for label, view in labels:
        for match in re.finditer("@" + re.escape(label) + _MENTION_END, text):
            span = (match.start(), match.end())
            if not any(start < span[1] and span[0] < end for start, end, _ in taken):
                taken.append((*span, view))
    ordered: list[CharacterView] = []
    for _, _, view in sorted(taken, key=lambda item: item[0]):
        if view not in ordered:
            ordered.append(view)
    return ordered


def find_for_job(
    runtime: Runtime, owner_id: str, *, reference: str | None, prompt: str | None
) -> CharacterView | None:
    """The character a job asks for: ``reference`` (an id or a name), else one ``@name``
    in the prompt. 404 for a reference the owner has no character for; 400 for a prompt
    naming two (a video shows one saved person)."""
    if reference is None and (not prompt or "@" not in prompt):
        return None  # the common case costs no query
    views = list_characters(runtime, owner_id)
    if reference is not None:
        wanted = reference.strip().removeprefix("@")
        for view in views:
            if view.id == wanted or _key(view.name) == _key(wanted):
                return view
        raise NotFoundError(f"no character {wanted!r}", param="character")
    mentioned = _mentioned(views, prompt or "")
    if len(mentioned) > 1:
        raise BadRequestError(
            "the prompt names more than one character: a video can show one", param="prompt"
        )
    return mentioned[0] if mentioned else None


def _still_png(runtime: Runtime, media_object: str) -> bytes:
    try:
        with (
            runtime.vault.open_stream(ObjectId(media_object)) as stream,
            spooled(runtime, stream) as spool,
        ):
            spool.seek(0)
            return png_bytes(best_still(spool))
    except UnsupportedMediaError as exc:
        exc.param = "video"
        raise


def picture_input(runtime: Runtime, owner_id: str, character_id: str) -> UploadedInput:
    """A new ``image`` upload for a job: the character's picture under a new key."""
    with runtime.session() as session:
        row = session.scalar(
            select(Character).where(
                Character.id == character_id,
                owned_by(owner_id),
                not_(past_retention(runtime)),
            )
        )
        if row is None:
            raise NotFoundError(f"no character {character_id!r}", param="character")
        media_object, media_type = row.media_object, row.media_type
    object_id = new_object_id()
    try:
        if media_type.startswith("video/"):
            stored = runtime.vault.put_bytes(_still_png(runtime, media_object), object_id=object_id)
            return UploadedInput("image", stored.object_id, PNG, stored.plaintext_size)
        with runtime.vault.open_stream(ObjectId(media_object)) as stream:
            stored = runtime.vault.put_stream(iter(stream), object_id=object_id)
    except VaultError:
        runtime.vault.shred(object_id)
        raise NotFoundError(f"no character {character_id!r}", param="character") from None
    except BaseException:
        runtime.vault.shred(object_id)
        raise
    kind = next((t for t in ALL_TYPES if t.mime == media_type), PNG)
    return UploadedInput("image", stored.object_id, kind, stored.plaintext_size)


def with_character(
    runtime: Runtime, request: JobRequest, uploads: Sequence[UploadedInput]
) -> tuple[JobRequest, list[UploadedInput]]:
    """``request`` and its uploads once the character it names (if any) gives its picture.

    The likeness was affirmed, and recorded, when the character was created: the job
    counts as affirmed. Uploads are shredded on a refusal.
    """
    found = add_character_input(
        runtime,
        request.owner_id,
        task=request.task,
        prompt=request.prompt,
        reference=request.character,
        uploads=uploads,
    )
    if found.character_id is None:
        return request, found.uploads
    return replace(request, task=found.task, likeness_affirmed=True), found.uploads


def names_a_character(request: JobRequest) -> bool:
    """Whether resolving characters may change ``request`` (cheap: no query)."""
    return request.character is not None or "@" in (request.prompt or "")


@dataclass(frozen=True)
class WithCharacter:
    """A request once its character is resolved: the task it becomes and its uploads."""

    task: Task
    uploads: list[UploadedInput]
    character_id: str | None


def add_character_input(
    runtime: Runtime,
    owner_id: str,
    *,
    task: Task,
    prompt: str | None,
    reference: str | None,
    uploads: Sequence[UploadedInput],
) -> WithCharacter:
    """Give a request naming a character its picture as the ``image`` input.

    A text→video request becomes image→video (the person needs a picture to appear); a
    request that also uploads an image is refused (which one would it be?). On a refusal
    the request's uploads are shredded, as any refused request's are.
    """
    try:
        found = find_for_job(runtime, owner_id, reference=reference, prompt=prompt)
        if found is None:
            return WithCharacter(task, list(uploads), None)
        if any(upload.name == "image" for upload in uploads):
            raise BadRequestError(
                "send either an image or a character, not both", param="character"
            )
        picture = picture_input(runtime, owner_id, found.id)
    except BaseException:
        discard_uploads(runtime, uploads)
        raise
    new_task = Task.IMAGE_TO_VIDEO if task is Task.TEXT_TO_VIDEO else task
    return WithCharacter(new_task, [picture, *uploads], found.id)


__all__ = [
    "AFFIRMATION_MESSAGE",
    "MAX_NAME_CHARS",
    "MAX_PER_OWNER",
    "NOT_KEPT_MESSAGE",
    "CharacterView",
    "check_offered",
    "owned_by",
    "require_affirmation",
    "WithCharacter",
    "add_character_input",
    "clean_name",
    "count_characters",
    "create_character",
    "delete_character",
    "delete_expired_characters",
    "erase_characters",
    "find_for_job",
    "get_character",
    "list_characters",
    "names_a_character",
    "picture_input",
    "with_character",
]
