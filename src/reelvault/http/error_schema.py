"""The project's error body, as the API docs show it (written by :mod:`reelvault.http.errors`)."""

from __future__ import annotations

from pydantic import BaseModel


class ErrorBody(BaseModel):
    code: str
    message: str
    param: str | None


class ErrorOut(BaseModel):
    error: ErrorBody


__all__ = ["ErrorBody", "ErrorOut"]
