"""Streaming multipart/form-data: file parts go straight into the vault while they arrive.

Starlette's own form parser spools large files to a temporary file on disk — plaintext
personal media outside a job's scratch space — so uploads are parsed here instead with
python-multipart's push parser. Each file part is fed through a bounded queue to a
thread that encrypts it (:func:`reelvault.jobs.uploads.store_upload`), so memory stays
constant whatever the upload size, and the size limit is enforced while streaming.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from reelvault.errors import PayloadTooLargeError, ReelvaultError, ValidationError
from reelvault.jobs.uploads import UploadedInput, discard_uploads, store_upload
from reelvault.runtime import Runtime

MAX_FIELD_BYTES = 64 * 1024
MAX_PARTS = 32
_QUEUE_HIGH_WATER = 8


class _AbortError(Exception):
    """The request ended badly: the upload being written is thrown away."""


class _UploadSink:
    """Feeds one file part into the vault from a worker thread."""

    def __init__(self, runtime: Runtime, name: str, max_bytes: int) -> None:
        self.queue: queue.Queue[bytes | _AbortError | None] = queue.Queue()
        self.result: UploadedInput | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(
            target=self._run, args=(runtime, name, max_bytes), daemon=True
        )
        self.thread.start()

    def _chunks(self) -> Iterator[bytes]:
        while True:
            item = self.queue.get()
            if item is None:
                return
            if isinstance(item, _AbortError):
                raise item
            yield item

    def _run(self, runtime: Runtime, name: str, max_bytes: int) -> None:
        try:
            self.result = store_upload(runtime, name, self._chunks(), max_bytes=max_bytes)
        except BaseException as exc:  # reported to the request by finish()
            self.error = exc

    def put(self, data: bytes) -> None:
        if self.error is None:
            self.queue.put(data)

    async def drain(self) -> None:
        """Backpressure: wait while the encrypting thread is behind."""
        while self.queue.qsize() > _QUEUE_HIGH_WATER and self.thread.is_alive():
            await asyncio.sleep(0.002)
        self.raise_if_failed()

    def raise_if_failed(self) -> None:
        if self.error is not None and not isinstance(self.error, _AbortError):
            raise self.error

    async def finish(self) -> UploadedInput:
        self.queue.put(None)
        await asyncio.to_thread(self.thread.join)
        self.raise_if_failed()
        assert self.result is not None
        return self.result


@dataclass
class ParsedForm:
    fields: dict[str, str] = field(default_factory=dict)
    uploads: list[UploadedInput] = field(default_factory=list)


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    is_file: bool = False
    buffer: bytearray = field(default_factory=bytearray)
    sink: _UploadSink | None = None


class _PartCollector:
    """The push parser's callbacks: builds each part from its headers and data as they
    arrive, opening an upload sink for file fields and bounding plain fields."""

    def __init__(
        self, runtime: Runtime, file_fields: Mapping[str, str], limits: Mapping[str, int]
    ) -> None:
        self.runtime = runtime
        self.file_fields = file_fields
        self.limits = limits
        self.ended = False
        self.parts = 0
        self.current: _Part | None = None
        self.header_field = bytearray()
        self.header_value = bytearray()
        self.finished: list[_Part] = []

    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise ValidationError(f"at most {MAX_PARTS} form fields")
        self.current = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field.extend(data[start:end])

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value.extend(data[start:end])

    def on_header_end(self) -> None:
        assert self.current is not None
        self.current.headers[bytes(self.header_field).lower()] = bytes(self.header_value)
        self.header_field.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        part = self.current
        assert part is not None
        _, disposition = parse_options_header(part.headers.get(b"content-disposition", b""))
        part.name = disposition.get(b"name", b"").decode("utf-8", "replace")
        if part.name in self.file_fields:
            input_name = self.file_fields[part.name]
            part.is_file = True
            part.sink = _UploadSink(self.runtime, input_name, self.limits[input_name])
        elif b"filename" in disposition:
            raise ValidationError(f"unexpected file field {part.name!r}", param=part.name)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.current
        assert part is not None
        if part.sink is not None:
            part.sink.put(bytes(data[start:end]))
        else:
            part.buffer.extend(data[start:end])
            if len(part.buffer) > MAX_FIELD_BYTES:
                raise PayloadTooLargeError(
                    f"form field {part.name!r} is longer than {MAX_FIELD_BYTES} bytes",
                    param=part.name,
                )

    def on_part_end(self) -> None:
        assert self.current is not None
        self.finished.append(self.current)

    def on_end(self) -> None:
        self.ended = True

    def open_sinks(self) -> list[_UploadSink]:
        """The upload sinks of the part being read and of parts ended but not yet closed."""
        parts = [self.current, *self.finished] if self.current is not None else self.finished
        return [part.sink for part in parts if part.sink is not None]


def _boundary(request: Request) -> bytes:
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise ValidationError("expected multipart/form-data with a boundary")
    return boundary


def _parser(boundary: bytes, collector: _PartCollector) -> MultipartParser:
    return MultipartParser(
        boundary,
        {
            "on_part_begin": collector.on_part_begin,
            "on_part_data": collector.on_part_data,
            "on_part_end": collector.on_part_end,
            "on_header_field": collector.on_header_field,
            "on_header_value": collector.on_header_value,
            "on_header_end": collector.on_header_end,
            "on_headers_finished": collector.on_headers_finished,
            "on_end": collector.on_end,
        },
    )


def _write(parser: MultipartParser, chunk: bytes) -> None:
    """Feed ``chunk`` to the parser; a parser error is the client's malformed body."""
    try:
        parser.write(chunk)
    except ReelvaultError:
        raise
    except Exception:
        raise ValidationError("the multipart body is malformed") from None


async def _close_finished_parts(
    finished: list[_Part], sinks: list[_UploadSink], form: ParsedForm
) -> None:
    """Completed file parts are closed as soon as they end; plain fields join the form."""
    while finished:
        part = finished.pop(0)
        if part.sink is not None:
            form.uploads.append(await part.sink.finish())
            sinks.remove(part.sink)
        else:
            if part.name in form.fields:
                raise ValidationError(f"field {part.name!r} was sent twice", param=part.name)
            form.fields[part.name] = part.buffer.decode("utf-8", "replace")


async def _abort_uploads(sinks: list[_UploadSink], form: ParsedForm, runtime: Runtime) -> None:
    """Stop every upload still being written and shred every upload stored so far."""
    for sink in sinks:
        sink.queue.put(_AbortError())
        await asyncio.to_thread(sink.thread.join)
        if sink.result is not None:
            form.uploads.append(sink.result)
    discard_uploads(runtime, form.uploads)


async def parse_form(
    request: Request,
    runtime: Runtime,
    *,
    file_fields: Mapping[str, str],
    limits: Mapping[str, int],
) -> ParsedForm:
    """Parse a multipart body. ``file_fields`` maps form field -> upload input name
    (e.g. ``input_reference`` -> ``image``); ``limits`` maps input name -> max bytes.
    On any error every upload already stored is shredded before the error propagates."""
    boundary = _boundary(request)
    form = ParsedForm()
    collector = _PartCollector(runtime, file_fields, limits)
    parser = _parser(boundary, collector)
    sinks: list[_UploadSink] = []
    try:
        async for chunk in request.stream():
            _write(parser, chunk)
            for sink in collector.open_sinks():
                if sink not in sinks:
                    sinks.append(sink)
            for sink in sinks:
                await sink.drain()
            await _close_finished_parts(collector.finished, sinks, form)
        if not collector.ended:
            raise ValidationError("the upload was cut short (the multipart body is incomplete)")
    except BaseException:
        await _abort_uploads(sinks, form, runtime)
        raise
    return form


__all__ = ["ParsedForm", "parse_form"]
