"""The web gate: sign-in and sign-out over plain HTTP, beside the Streamlit app on one port.

Why here and not in a Streamlit page: a page's script talks to the browser over a websocket
and cannot set a cookie, let alone an HttpOnly one. ``st.App`` (web.py) serves these routes
and the middleware on the same host and port as the app, so:

* ``GET/POST /account/sign-in`` shows a small server-made form (zh/en, no script), checks
  the password behind the throttle (accounts.auth.sign_in), starts a session
  (accounts.sessions) and sets its token in an HttpOnly, SameSite=Strict cookie (Secure
  under https), then sends the browser to the page and query it asked for (``next``).
* ``/account/sign-out`` revokes the session and clears the cookie.
* The middleware sends a page request without a live session to the sign-in form, with the
  requested URL as ``next``, so a reload, a bookmark or a shared ticket link works after
  signing in. A page the role may not open goes to the role's home page instead of
  Streamlit's English "Page not found". The open pages (the public archive, 有奖举报, the
  published monthly ranking) stay open to everyone.

SameSite=Strict withholds the cookie when a link is followed from another site (a chat
message); the sign-in form therefore first reloads itself once from this site, which sends
the cookie, so a signed-in user arriving by such a link goes straight on.
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

import i18n
from accounts import sessions
from accounts.auth import SignedIn
from accounts.auth import sign_in as check_password
from core import settings
from core.errors import (
    AuthenticationFailed,
    ShuijianError,
    is_database_outage,
    log_unexpected,
)
from db.database import database_url, get_engine, session_scope
from db.scope import ALL, within
from ui.page import (
    CITY_RANKING_PUBLIC,
    DENIED,
    LOGIN,
    OPEN,
    PAGES,
    PUBLIC,
    PUBLIC_REPORT,
    pages_for,
)

SIGN_IN = "/account/sign-in"
SIGN_OUT = "/account/sign-out"
MAX_FORM_BYTES = 16 * 1024
RETRY_S = 5  # an outage page tries again this often, like the app's own probe
PAGE_NAMES = frozenset(Path(p.path).stem for p in (*PAGES, LOGIN, *OPEN))
OPEN_PAGES = frozenset(Path(p.path).stem for p in OPEN)


# ----------------------------------------------------------------------------- helpers
@lru_cache(maxsize=4)
def _engine_for(configured_url: str | None) -> Engine:
    """One engine per configured database for the whole server (not a URL lookup, which
    may start the local cluster, per request)."""
    return get_engine(database_url())


def _engine() -> Engine:
    return _engine_for(settings.optional_text("database_url"))


def _language(value: str | None) -> str:
    return "en" if value == "en" else "zh"


def safe_next(value: str | None) -> str:
    """Only a path of this site (no scheme, host, ``//`` or backslash): never an open
    redirect, and never back into the gate itself."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    if any(c in value for c in "\\\r\n\t") or value.startswith("/account/"):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or "//" in parts.path or "/." in parts.path:
        return "/"  # also /..//host, which a browser resolves to a path of its own
    return value


# What Streamlit serves besides pages (scripts, styles, the websocket, media, uploads,
# components, its own st.login routes), the offline basemap's tiles (no secret; the public
# page needs them too, ui/tiles.py), the coverage map's vector tiles (which check the session
# themselves and answer 401/403 rather than redirect a script's fetch to a form,
# ui/vector_tiles.py) and the gate itself: passed through untouched.
PASS_THROUGH = frozenset(
    {
        "_stcore",
        "static",
        "media",
        "component",
        "app",
        "auth",
        "oauth2callback",
        "tiles",
        "vtiles",
    }
)
ROOT_FILES = frozenset({"favicon.png", "manifest.json"})


def page_name(path: str) -> str | None:
    """What a request path asks for as a page ('' for the home page; anything else not
    passed through, even ``a/b`` or ``x.y``, which Streamlit would answer with a blank or
    "Page not found" page), or None for what passes through."""
    name = path.strip("/")
    if PASS_THROUGH.intersection(name.split("/")) or name in ROOT_FILES:
        # Any segment: the frontend also probes under the page's path (/due/_stcore/health)
        # before it settles on the root.
        return None
    if name.startswith("account/"):  # the gate's own routes (/account is a page)
        return None
    return name


def _resume(token: str | None) -> tuple[SignedIn, str] | None:
    if not token:
        return None
    with within(ALL), session_scope(_engine()) as db:
        return sessions.resume(db, token)


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _same_origin(request: Request) -> bool:
    """A form post must come from this site's own page (login CSRF)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


def _cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        sessions.COOKIE,
        token,
        max_age=int(sessions.absolute_timeout().total_seconds()),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _forget_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        sessions.COOKIE,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def sign_in_url(next_url: str = "/", lang: str = "zh") -> str:
    return f"{SIGN_IN}?{urlencode({'next': safe_next(next_url), 'lang': _language(lang)})}"


# ----------------------------------------------------------------------------- the form
_STYLE = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Zen Hei","Microsoft YaHei",sans-serif;
margin:0;background:#f4f6f8;color:#1f2933}
main{max-width:22rem;margin:8vh auto;padding:1.5rem;background:#fff;border-radius:.5rem;
box-shadow:0 1px 4px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin:0 0 1rem}label{display:block;margin:.8rem 0 .3rem}
input[type=text],input[type=password]{box-sizing:border-box;width:100%;padding:.55rem;
font-size:1rem;border:1px solid #9aa5b1;border-radius:.3rem}
button{margin-top:1.2rem;width:100%;padding:.65rem;font-size:1rem;color:#fff;
background:#c0392b;border:0;border-radius:.3rem;cursor:pointer}
.message{padding:.6rem;border-radius:.3rem;background:#fdecea;color:#8a1c12;margin-bottom:.6rem}
nav{display:flex;justify-content:space-between;margin-top:1.2rem;font-size:.9rem}
"""


# Inline as well as in the page's style sheet: inside the app (st.html) style sheets are
# dropped, attributes are kept.
_LABEL = "display:block;margin:.8rem 0 .3rem"
_INPUT = (
    "box-sizing:border-box;width:100%;max-width:22rem;padding:.55rem;font-size:1rem;"
    "border:1px solid #9aa5b1;border-radius:.3rem"
)
_BUTTON = (
    "margin-top:1.2rem;width:100%;max-width:22rem;padding:.65rem;font-size:1rem;color:#fff;"
    "background:#c0392b;border:0;border-radius:.3rem;cursor:pointer"
)


def form_html(lang: str, next_url: str, message: str | None = None, username: str = "") -> str:
    """The sign-in form alone (also shown inside the app after a sign-out): posts to the gate."""
    t = lambda key: html.escape(i18n.text(key, lang))  # noqa: E731
    note = f'<p class="message" role="alert">{html.escape(message)}</p>' if message else ""
    return (
        f"{note}"
        # next and lang ride in the action's query too: the app's HTML sanitiser may drop
        # hidden fields.
        f'<form method="post" action="{html.escape(sign_in_url(next_url, lang))}">'
        f'<input type="hidden" name="next" value="{html.escape(safe_next(next_url))}">'
        f'<input type="hidden" name="lang" value="{lang}">'
        f'<label for="username" style="{_LABEL}">{t("username")}</label>'
        f'<input type="text" id="username" name="username" value="{html.escape(username)}" '
        f'autocomplete="username" autocapitalize="none" required autofocus style="{_INPUT}">'
        f'<label for="password" style="{_LABEL}">{t("password")}</label>'
        '<input type="password" id="password" name="password" '
        f'autocomplete="current-password" required style="{_INPUT}">'
        f'<button type="submit" style="{_BUTTON}">{t("login_button")}</button>'
        "</form>"
    )


def _page(
    lang: str,
    next_url: str,
    message: str | None = None,
    username: str = "",
    refresh: str | None = None,
) -> str:
    other = "zh" if lang == "en" else "en"
    switch = html.escape(sign_in_url(next_url, other))
    public = f"/{Path(PUBLIC.path).stem}?lang={lang}"  # the public pages keep the language
    report = f"/{Path(PUBLIC_REPORT.path).stem}?lang={lang}"
    ranking = f"/{Path(CITY_RANKING_PUBLIC.path).stem}?lang={lang}"
    return (
        f'<!doctype html><html lang="{"en" if lang == "en" else "zh-CN"}"><head>'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width, '
        'initial-scale=1">'
        + (
            f'<meta http-equiv="refresh" content="{RETRY_S};url={html.escape(refresh)}">'
            if refresh
            else ""
        )
        + f"<title>{html.escape(i18n.text('login_heading', lang))}</title>"
        f"<style>{_STYLE}</style></head><body><main>"
        f"<h1>{html.escape(i18n.text('login_heading', lang))}</h1>"
        f"{form_html(lang, next_url, message, username)}"
        f'<nav><a href="{public}">{html.escape(i18n.text("gate_public_link", lang))}</a>'
        f'<a href="{report}">{html.escape(i18n.text("gate_report_link", lang))}</a>'
        f'<a href="{ranking}">{html.escape(i18n.text("gate_ranking_link", lang))}</a>'
        f'<a href="{switch}" hreflang="{other}">'
        f"{html.escape(i18n.text('gate_other_language', lang))}</a></nav>"
        "</main></body></html>"
    )


def _html(body: str, status: int = 200) -> HTMLResponse:
    """A gate page: never cached, never framed (clickjacking of the form)."""
    return HTMLResponse(
        body,
        status_code=status,
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": "frame-ancestors 'none'",
        },
    )


def _respond(
    lang: str,
    next_url: str,
    status: int,
    message: str | None,
    username: str = "",
    refresh: str | None = None,
) -> Response:
    return _html(_page(lang, next_url, message, username, refresh), status)


def _error_page(lang: str, next_url: str, exc: BaseException, retry: str | None = None) -> Response:
    """An outage or a bug while signing in: the sentence, never a traceback. An outage
    page loads ``retry`` (by default the sign-in form) every few seconds, so it heals by
    itself once the database is back."""
    if is_database_outage(exc):
        retry = retry or f"{sign_in_url(next_url, lang)}&hop=1"
        return _respond(lang, next_url, 503, i18n.text("db_unavailable", lang), refresh=retry)
    error = log_unexpected(exc, "sign-in")
    return _respond(lang, next_url, 500, i18n.text("internal_error", lang, error_id=error.error_id))


# ----------------------------------------------------------------------------- routes
async def sign_in_form(request: Request) -> Response:
    lang = _language(request.query_params.get("lang"))
    next_url = safe_next(request.query_params.get("next"))
    token = request.cookies.get(sessions.COOKIE)
    try:
        found = await run_in_threadpool(_resume, token)
    except Exception as exc:  # noqa: BLE001 - the HTTP boundary
        return _error_page(lang, next_url, exc)
    if found is not None:
        return RedirectResponse(next_url, status_code=303)
    if token is None and request.query_params.get("hop") != "1":
        # Arrived without a cookie, perhaps from another site (SameSite=Strict held it
        # back): reload once from this site, which sends it if the browser has one.
        again = html.escape(f"{sign_in_url(next_url, lang)}&hop=1")
        return _html(
            f'<!doctype html><meta http-equiv="refresh" content="0;url={again}">'
            f'<a href="{again}">{html.escape(i18n.text("login_heading", lang))}</a>'
        )
    message = i18n.text("gate_session_ended", lang) if token else None
    response = _respond(lang, next_url, 200, message)
    if token:
        _forget_cookie(response, request)
    return response


def _read_form(body: bytes) -> dict[str, str]:
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items() if v}


def _check_password(username: str, password: str, client: str | None, lang: str) -> str:
    with within(ALL), session_scope(_engine()) as db:
        user = check_password(db, username, password, client)
        return sessions.begin(db, user, client, lang)


async def sign_in_post(request: Request) -> Response:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_FORM_BYTES):
        return _respond("zh", "/", 413, i18n.text("gate_too_large", "zh"))
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return _respond("zh", "/", 413, i18n.text("gate_too_large", "zh"))
    form = {**request.query_params, **_read_form(body)}
    lang = _language(form.get("lang"))
    next_url = safe_next(form.get("next"))
    username = form.get("username", "").strip()
    password = form.get("password", "")
    if not _same_origin(request):
        return _respond(lang, next_url, 403, i18n.text("gate_bad_origin", lang))
    if not username or not password:
        return _respond(lang, next_url, 400, i18n.text("login_missing", lang), username)
    try:
        token = await run_in_threadpool(_check_password, username, password, _client(request), lang)
    except AuthenticationFailed:
        return _respond(lang, next_url, 401, i18n.text("login_failed", lang), username)
    except ShuijianError as error:  # throttled, or the database is down
        if is_database_outage(error):
            return _error_page(lang, next_url, error)
        return _respond(lang, next_url, 429, i18n.describe(error, lang), username)
    except Exception as exc:  # noqa: BLE001 - the HTTP boundary
        return _error_page(lang, next_url, exc)
    response = RedirectResponse(next_url, status_code=303)
    _cookie(response, request, token)
    return response


def _end(token: str | None) -> None:
    with within(ALL), session_scope(_engine()) as db:
        sessions.end(db, token)


async def sign_out(request: Request) -> Response:
    lang = _language(request.query_params.get("lang"))
    if request.method != "POST" or not _same_origin(request):
        # A link from anywhere must not sign anyone out: a GET only offers the button.
        action = html.escape(f"{SIGN_OUT}?lang={lang}")
        return _html(
            f'<!doctype html><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><style>{_STYLE}</style><main>'
            f'<form method="post" action="{action}"><button type="submit">'
            f"{html.escape(i18n.text('sign_out', lang))}</button></form></main>",
            200 if request.method != "POST" else 403,
        )
    try:
        await run_in_threadpool(_end, request.cookies.get(sessions.COOKIE))
    except Exception as exc:  # noqa: BLE001 - the HTTP boundary
        return _error_page(lang, "/", exc)
    response = RedirectResponse(f"{sign_in_url('/', lang)}&hop=1", status_code=303)
    _forget_cookie(response, request)
    return response


def routes() -> list[Route]:
    return [
        Route(SIGN_IN, sign_in_form, methods=["GET", "HEAD"]),
        Route(SIGN_IN, sign_in_post, methods=["POST"]),
        Route(SIGN_OUT, sign_out, methods=["GET", "POST"]),
    ]


# ----------------------------------------------------------------------------- middleware
class SignInGate:
    """Pure ASGI (the websocket passes untouched): page loads need a live session."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        name = page_name(scope["path"])
        if name is None or name in OPEN_PAGES:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        query = scope.get("query_string", b"").decode("latin-1")
        wanted = scope["path"] + (f"?{query}" if query else "")
        try:
            found = await run_in_threadpool(_resume, request.cookies.get(sessions.COOKIE))
        except Exception as exc:  # noqa: BLE001 - the HTTP boundary
            await _error_page("zh", wanted, exc, retry=safe_next(wanted))(scope, receive, send)
            return
        if found is None:
            target = sign_in_url(wanted, _language(parse_qs(query).get("lang", [""])[0]))
            await RedirectResponse(target, status_code=303)(scope, receive, send)
            return
        user, _ = found
        pages = [Path(p.path).stem for p in pages_for(user)]
        if name and name not in pages:
            # A page this role may not open, an unknown path or the sign-in page: the role's
            # home instead of Streamlit's English "Page not found" or a blank page; a page
            # that exists but is not for this role is named, so home says why it came instead.
            known = {Path(p.path).stem for p in PAGES}
            home = f"/?{DENIED}={name}" if name in known else "/"
            await RedirectResponse(home, status_code=303)(scope, receive, send)
            return
        if name and name == pages[0]:
            # The role's home page is served at "/" only (Streamlit has no other URL for it).
            home = "/" + (f"?{query}" if query else "")
            await RedirectResponse(home, status_code=303)(scope, receive, send)
            return
        await self.app(scope, receive, send)


__all__ = ["SIGN_IN", "SIGN_OUT", "SignInGate", "form_html", "page_name", "routes", "safe_next"]
