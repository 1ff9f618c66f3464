"""The studio's pages (``/``, ``/privacy-centre``) and its JSON endpoint (config)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, JSONResponse, Response

from reelvault.api.deps import RuntimeDep
from reelvault.web.csrf import csrf_protect
from reelvault.web.headers import PAGE_HEADERS, ensure_browser_session
from reelvault.web.studio_config import StudioConfig, studio_config

PACKAGE_DIR = Path(str(resources.files("reelvault.web")))
STATIC_DIR = PACKAGE_DIR / "static"
PAGES_DIR = PACKAGE_DIR / "pages"

router = APIRouter(tags=["studio"])


@cache
def _page(name: str) -> str:
    return (PAGES_DIR / name).read_text(encoding="utf-8")


async def _serve(request: Request, runtime: RuntimeDep, name: str) -> Response:
    response = HTMLResponse(_page(name), headers=PAGE_HEADERS)
    await run_in_threadpool(ensure_browser_session, request, response, runtime)
    return response


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def studio_page(request: Request, runtime: RuntimeDep) -> Response:
    return await _serve(request, runtime, "studio.html")


@router.get("/privacy-centre", response_class=HTMLResponse, include_in_schema=False)
async def privacy_centre_page(request: Request, runtime: RuntimeDep) -> Response:
    return await _serve(request, runtime, "privacy-centre.html")


@router.get("/api/v1/studio/config", response_model=StudioConfig)
def get_studio_config(runtime: RuntimeDep) -> StudioConfig:
    """The policy's plain words and the upload limits, for the studio's checks."""
    return studio_config(runtime.policy, runtime.settings)


@router.post("/api/v1/studio/session", dependencies=[Depends(csrf_protect)])
async def renew_session(request: Request, runtime: RuntimeDep) -> Response:
    """A fresh pseudonymous session for this browser if its own is gone (after erasure)."""
    response = JSONResponse({"session": True}, headers={"Cache-Control": "no-store"})
    await run_in_threadpool(ensure_browser_session, request, response, runtime)
    return response


__all__ = ["PAGES_DIR", "STATIC_DIR", "router"]
