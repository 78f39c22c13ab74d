"""Serving the portal with uvicorn: in the foreground (``panorama portal``) or in a background
thread on a free port (browser tests, screenshots)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

_STARTUP_TIMEOUT_SECONDS = 20


def serve(app: ASGIApp, host: str, port: int) -> None:
    """Serve ``app`` until interrupted (Ctrl+C)."""
    config = uvicorn.Config(
        app, host=host, port=port, log_level="info", server_header=False, proxy_headers=False
    )
    # uvicorn has shut down cleanly when Ctrl+C reaches us: the normal way to stop it.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run()


@contextlib.contextmanager
def serve_in_background(app: ASGIApp, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``app`` from a thread on a free port; yields the base URL, stops on exit."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Bound here, handed to uvicorn: no race for the port with other processes.
    listener.bind((host, 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", server_header=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + _STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the portal server did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
