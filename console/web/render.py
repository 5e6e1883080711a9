"""Template rendering: one autoescaping Jinja2 environment over ``console/templates``.

Everything a charger sends (labels, annotations, ``info``, vendor strings) reaches the page
through ``{{ }}`` only, which escapes it; no template marks such a value ``|safe``. Every value
printed also passes :func:`_printable`: no control or format character (ESC, NUL, a bidi
override that shows ``gpj.exe`` as ``exe.jpg``) reaches a page; line breaks and tabs stay, for
the ``<pre>`` of a message body. Filters for the templates: ``untrusted`` bounds a label or
annotation shown whole (the kernel's ``clean``), ``http_url`` lets only http(s) links through.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from chargekeeper.untrusted import MAX_VENDOR, clean, http_url, printable
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

# What a multi-line text printed in a <pre> (a message's body, a diff) keeps.
_LAYOUT = "\n\t"


def _printable(value: object) -> object:
    """What every ``{{ }}`` prints: no control or format character but line breaks and tabs;
    markup stays markup."""
    if not isinstance(value, str):
        return value
    # Markup stays Markup: characters are only replaced, by U+FFFD, never by one of &<>"'.
    return type(value)(printable(value, _LAYOUT))


def untrusted(value: object, limit: int = MAX_VENDOR) -> str:
    """A label or annotation value as one printable line of at most ``limit`` characters."""
    return clean(value, limit) or ""


_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=_printable,
)
_environment.filters["untrusted"] = untrusted
_environment.filters["http_url"] = http_url


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
