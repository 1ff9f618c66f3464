"""The interactive API docs (``/docs``), served entirely from this origin.

FastAPI's own page loads Swagger UI from a public CDN, with no integrity hash and an
inline script, on the origin whose cookies the studio uses: whoever controls the CDN
could act as any studio user. Here the page, Swagger UI (vendored in
static/swagger-ui/, see SOURCE.md there) and its initialiser (static/docs.js) all come
from this server, under the studio's Content-Security-Policy. ReDoc is not offered:
its standalone bundle needs inline styles and blob: workers, which the policy forbids.
The ``docs_enabled`` setting turns the docs and the schema off.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import HTMLResponse, Response

from reelvault.web.headers import PAGE_HEADERS
from reelvault.web.routes import PAGES_DIR

DOCS_URL = "/docs"
OPENAPI_URL = "/openapi.json"

router = APIRouter(tags=["docs"])


@router.get(DOCS_URL, response_class=HTMLResponse, include_in_schema=False)
async def docs_page() -> Response:
    page = (PAGES_DIR / "docs.html").read_text(encoding="utf-8")
    return HTMLResponse(page, headers=PAGE_HEADERS)


__all__ = ["DOCS_URL", "OPENAPI_URL", "router"]
