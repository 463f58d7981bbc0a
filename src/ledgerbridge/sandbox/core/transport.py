"""Ways to reach an emulator: in-process (no sockets) or served by uvicorn on loopback."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import httpx
import uvicorn
from starlette.types import ASGIApp, Message

log = logging.getLogger(__name__)


class InProcessTransport(httpx.BaseTransport):
    """A synchronous httpx transport that calls an ASGI app on a private event-loop thread.

    It behaves like a server on loopback: an exception before the answer starts becomes a 500,
    an exception after it started (a dropped connection) becomes ``httpx.RemoteProtocolError``.
    Calls from several threads run concurrently on the loop.
    """

    def __init__(self, app: ASGIApp, *, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self.app = app
        self.client_address = client
        self.errors: list[BaseException] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="sandbox-inprocess", daemon=True
        )
        self._thread.start()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        future = asyncio.run_coroutine_threadsafe(self._call(request, body), self._loop)
        return future.result()

    async def _call(self, request: httpx.Request, body: bytes) -> httpx.Response:
        url = request.url
        raw_path = url.raw_path.split(b"?", 1)[0]
        port = url.port or (443 if url.scheme == "https" else 80)
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": unquote(raw_path.decode("latin-1")),
            "raw_path": raw_path,
            "root_path": "",
            "query_string": url.query,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "client": self.client_address,
            "server": (url.host, port),
            "state": {},
        }
        done = asyncio.Event()
        sent_body = False
        status: int | None = None
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        complete = False

        async def receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status, headers, complete
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    complete = True

        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            self.errors.append(exc)
            if status is not None and not complete:
                raise httpx.RemoteProtocolError(
                    "peer closed connection without sending complete message body",
                    request=request,
                ) from exc
            if status is None:
                log.exception("sandbox app raised before answering")
                status, headers, chunks, complete = 500, [], [b"Internal Server Error"], True
        finally:
            done.set()
        if status is None:
            raise httpx.RemoteProtocolError("server closed without answering", request=request)
        return httpx.Response(status, headers=headers, content=b"".join(chunks), request=request)

    def close(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)


def client_for(
    app: ASGIApp,
    base_url: str = "http://testserver",
    *,
    wrap: Callable[[httpx.BaseTransport], httpx.BaseTransport] | None = None,
    timeout: float = 30.0,
) -> httpx.Client:
    """A synchronous client that calls ``app`` in-process; ``wrap`` may add e.g. validation."""
    transport: httpx.BaseTransport = InProcessTransport(app)
    if wrap is not None:
        transport = wrap(transport)
    return httpx.Client(transport=transport, base_url=base_url, timeout=timeout)


class ServedApp:
    """An ASGI app served by uvicorn on a loopback port in a background thread."""

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"sandbox-serve-{self.port}",
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ServedApp:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("sandbox server did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> ServedApp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> ServedApp:
    """Start uvicorn on ``host:port`` (0 picks a free port) and return once it listens."""
    return ServedApp(app, host, port).start()
