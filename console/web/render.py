"""Template rendering: one autoescaping Jinja2 environment over ``console/templates``.

Everything a charger sends (labels, annotations, ``info``, vendor strings) reaches the page
through ``{{ }}`` only, which escapes it; no template marks such a value ``|safe``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from console.auth.users import Role
from console.i18n import LANG_COOKIE, choose_language, translate

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# Defence in depth behind autoescaping: pages load script and style from this origin only
# (the templates have no inline script or style), cannot be framed, and leak no URL outward.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def may_acknowledge(role: str, family: str) -> bool:
    """Whether to offer the Acknowledge form (the handlers check it again)."""
    return Role(role).may_acknowledge(family)


_environment.globals["may_acknowledge"] = may_acknowledge


def language_of(request: Request, default: str) -> str:
    return choose_language(request.cookies.get(LANG_COOKIE), default)


def render(
    request: Request,
    template: str,
    default_language: str,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    """Render ``template`` with ``t`` (the message catalog in the request's language)."""
    language = language_of(request, default_language)

    def t(key: str, **fields: object) -> str:
        return translate(language, key, **fields)

    html = _environment.get_template(template).render(request=request, lang=language, t=t, **values)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
