"""A fake government platform on 127.0.0.1 for the delivery tests.

It behaves like a careful real one: a message is accepted (processed) when it arrives, before
the answer is written, and a repeated Idempotency-Key is answered 200 but not processed again
(counted as a duplicate). It can be told to fail: answer 500 for the next N messages, be down
(stopped: connection refused), or answer only after a delay (longer than the sender's timeout:
processed, but the sender never hears so — the case that makes a redelivery necessary).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    """One request as it arrived."""

    path: str
    key: str | None
    ticket: str | None
    payload: dict[str, Any]
    status: int


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class FakePlatform:
    """Thread-safe recorder of deliveries; `start`/`stop` may be called repeatedly on one port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/dispatch"
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.accepted: dict[str, dict[str, Any]] = {}  # key → payload, processed once
        self.accepted_order: list[str] = []
        self.duplicates = 0
        self.fail_remaining = 0
        self.fail_status = 500
        self.delay_s = 0.0
        # Hold the hold_at-th request (after processing it) until `release` is set: a sender
        # can then be killed at a known point, with exactly that one message in flight.
        self.hold_at: int | None = None
        self.holding = threading.Event()
        self.release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ control

    def start(self) -> FakePlatform:
        if self._server is not None:
            return self
        self.release.clear()
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Down: the port is closed, so a sender gets 'connection refused' (a held request is
        let go first, or shutting down would wait for it)."""
        self.release.set()
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def fail_next(self, n: int, status: int = 500) -> None:
        with self.lock:
            self.fail_remaining = n
            self.fail_status = status

    # ------------------------------------------------------------------ figures

    def request_count(self) -> int:
        with self.lock:
            return len(self.received)

    def keys_received(self) -> dict[str, int]:
        """How often each Idempotency-Key arrived (failed answers included)."""
        counts: dict[str, int] = {}
        with self.lock:
            for r in self.received:
                if r.key:
                    counts[r.key] = counts.get(r.key, 0) + 1
        return counts

    def event_ids_per_ticket(self) -> dict[str, list[int]]:
        """Accepted messages per ticket number, in the order they were processed."""
        out: dict[str, list[int]] = {}
        with self.lock:
            for key in self.accepted_order:
                payload = self.accepted[key]
                out.setdefault(str(payload["ticket_number"]), []).append(int(payload["event_id"]))
        return out

    # ------------------------------------------------------------------ handling

    def handle(self, path: str, key: str | None, ticket: str | None, body: bytes) -> int:
        """Decide the answer; a message is processed at most once per key."""
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            payload = {}
        with self.lock:
            if self.fail_remaining > 0:
                self.fail_remaining -= 1
                status = self.fail_status
            elif not key or not isinstance(payload, dict):
                status = 400
            elif key in self.accepted:
                self.duplicates += 1
                status = 200
            else:
                self.accepted[key] = payload
                self.accepted_order.append(key)
                status = 200
            self.received.append(
                Received(path, key, ticket, payload if isinstance(payload, dict) else {}, status)
            )
            delay = self.delay_s
            hold = self.hold_at is not None and len(self.received) == self.hold_at
        if hold:
            self.holding.set()
            self.release.wait(timeout=30)
        if delay:
            time.sleep(delay)
        return status


def _handler_for(platform: FakePlatform) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status = platform.handle(
                self.path,
                self.headers.get("Idempotency-Key"),
                self.headers.get("X-Shuijian-Ticket"),
                body,
            )
            answer = json.dumps({"status": status}).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):
                return  # the sender gave up (timeout) before the answer: it will retry

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read the recorded requests instead."""

    return Handler
