"""A fake DingTalk robot and SMS gateway on 127.0.0.1 for the reminder tests.

``/robot/send`` behaves like a DingTalk custom robot with signing: it recomputes the signature
from ``timestamp`` and the known secret and answers HTTP 200 with errcode 310000 when it does
not match (as DingTalk does), errcode 0 when it does. ``/sms`` is a generic gateway: 401
without the expected bearer token, else 200. Either can be told to fail: HTTP 500, or 200 with
an errcode other than 0, for the next N requests or for every request whose body mentions a
given string (a deputy's phone or code); ``stop`` makes it down (connection refused);
``slow`` delays every answer (to make two senders overlap).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SIGN_MISMATCH = 310000  # DingTalk's errcode for a bad signature or timestamp
TOKEN = "fake-access-token"


@dataclass(frozen=True)
class Received:
    """One request as it arrived, and what the fake answered."""

    path: str
    query: dict[str, str]
    authorization: str | None
    payload: dict[str, Any]
    status: int
    errcode: int | None

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.errcode in (0, None)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def expected_sign(secret: str, timestamp: str) -> str:
    """DingTalk's check, written independently of the code under test (decoded form)."""
    digest = hmac.new(
        secret.encode("utf-8"), f"{timestamp}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


class FakeWebhook:
    """Thread-safe recorder; ``start``/``stop`` may be called repeatedly on one port."""

    def __init__(self, secret: str | None = None, token: str | None = None) -> None:
        self.secret = secret
        self.token = token
        self.port = free_port()
        base = f"http://127.0.0.1:{self.port}"
        self.dingtalk_url = f"{base}/robot/send?access_token={TOKEN}"
        self.sms_url = f"{base}/sms"
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.fail_remaining = 0
        self.fail_mode = "http500"
        self.failing: dict[str, str] = {}  # substring of the body → failure mode
        self.delay_s = 0.0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ control

    def start(self) -> FakeWebhook:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Down: the port is closed, so a sender gets 'connection refused'."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def fail_next(self, n: int, mode: str = "http500") -> None:
        """Fail the next n requests: mode http500, or errcode (200 with errcode 130101)."""
        with self.lock:
            self.fail_remaining, self.fail_mode = n, mode

    def fail_when_body_has(self, needle: str, mode: str = "http500") -> None:
        with self.lock:
            self.failing[needle] = mode

    def slow(self, seconds: float) -> None:
        """Answer every request only after this many seconds."""
        with self.lock:
            self.delay_s = seconds

    def heal(self) -> None:
        """No more planned failures."""
        with self.lock:
            self.failing.clear()
            self.fail_remaining = 0

    # ------------------------------------------------------------------ figures

    def requests(self) -> list[Received]:
        with self.lock:
            return list(self.received)

    def accepted(self) -> list[Received]:
        return [r for r in self.requests() if r.ok]

    # ------------------------------------------------------------------ handling

    def handle(self, target: str, authorization: str | None, body: bytes) -> tuple[int, dict]:
        """Decide the answer (status, JSON body) and record the request."""
        parts = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        text = body.decode("utf-8", errors="replace")
        try:
            payload = json.loads(text or "{}")
        except ValueError:
            payload = {}
        with self.lock:
            delay = self.delay_s
        if delay > 0:
            time.sleep(delay)
        with self.lock:
            mode = next((m for needle, m in self.failing.items() if needle in text), None)
            if mode is None and self.fail_remaining > 0:
                self.fail_remaining -= 1
                mode = self.fail_mode
            status, answer = self._answer(parts.path, query, authorization, payload, mode)
            errcode = answer.get("errcode") if parts.path == "/robot/send" else None
            self.received.append(
                Received(parts.path, query, authorization, payload, status, errcode)
            )
        return status, answer

    def _answer(
        self,
        path: str,
        query: dict[str, str],
        authorization: str | None,
        payload: Any,
        mode: str | None,
    ) -> tuple[int, dict]:
        if mode == "http500":
            return 500, {"error": "internal error"}
        if path == "/robot/send":
            if query.get("access_token") != TOKEN:
                return 200, {"errcode": 300001, "errmsg": "token is not exist"}
            if self.secret is not None:
                timestamp, sign = query.get("timestamp", ""), query.get("sign", "")
                if not timestamp or sign != expected_sign(self.secret, timestamp):
                    return 200, {"errcode": SIGN_MISMATCH, "errmsg": "sign not match"}
            if not isinstance(payload, dict) or payload.get("msgtype") != "markdown":
                return 200, {"errcode": 40035, "errmsg": "bad msgtype"}
            if mode == "errcode":
                return 200, {"errcode": 130101, "errmsg": "send too fast"}
            return 200, {"errcode": 0, "errmsg": "ok"}
        if path == "/sms":
            if self.token is not None and authorization != f"Bearer {self.token}":
                return 401, {"error": "unauthorized"}
            if mode == "errcode":
                return 400, {"error": "rejected"}
            return 200, {"ok": True}
        return 404, {"error": "not found"}


def _handler_for(fake: FakeWebhook) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, answer = fake.handle(
                self.path, self.headers.get("Authorization"), self.rfile.read(length)
            )
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read the recorded requests instead."""

    return Handler
