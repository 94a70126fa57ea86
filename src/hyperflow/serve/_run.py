"""``serve``: run a model's service with uvicorn.

``serve`` binds the socket itself (a busy port is a one-line ``ServeError``),
bounds how long a client may take to send its request headers, logs a start
line naming the model and its URLs, and routes hyperflow's log lines (start,
reloads, access log) through uvicorn's handlers.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hyperflow._errors import ServeError
from hyperflow.registry import ModelSource, Predictor
from hyperflow.serve._logging import check_log_format, log_config

if TYPE_CHECKING:
    import uvicorn

__all__ = [
    "DEFAULT_HEADER_TIMEOUT_S",
    "banner_of",
    "bind_group",
    "bind_socket",
    "build_server",
    "listen_in_group",
    "serve",
]

DEFAULT_HEADER_TIMEOUT_S = 10.0
_BACKLOG = 2048  # pending connections a listening socket holds
_log = logging.getLogger("hyperflow.serve")


def _tcp_socket(family: int, *, reuse_port: bool = False) -> socket.socket:
    """A TCP socket with ``SO_REUSEADDR`` (and ``SO_REUSEPORT``: one of a group sharing
    its port, see ``bind_group``)."""
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on connections accepted from a
    # socket whose proto says TCP. Without it a response's second write (the body after
    # the headers) waits for the client's delayed ACK: ~40 ms a request under keep-alive.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    return sock


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``; a busy port is a ``ServeError`` naming it."""
    sock = _tcp_socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        sock.bind((host, port))
        sock.listen(_BACKLOG)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(
                f"port {port} on {host} is already in use; stop the other server or pick "
                "another port (--port / port=)"
            ) from None
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def bind_group(host: str, port: int) -> socket.socket:
    """The port for ``--workers N``: reserved by a bound, not listening ``SO_REUSEPORT``
    socket; each worker then listens on its own socket of that group (``listen_in_group``).

    One listening socket shared by the workers lets whichever worker wakes first accept
    every pending connection at once (asyncio accepts up to its backlog per wake-up): a
    burst of keep-alive connections then lands on one worker while the other idles.
    With a socket each, the kernel spreads connections between them by their address.
    A port in use by anyone, including another group of ours, is a ``ServeError``.
    """
    probe = bind_socket(host, port)  # a busy port fails here, without SO_REUSEPORT
    address = probe.getsockname()[:2]
    probe.close()
    anchor = _tcp_socket(probe.family, reuse_port=True)
    try:
        anchor.bind(address)
    except OSError as exc:
        anchor.close()
        raise ServeError(f"cannot listen on {host}:{address[1]}: {exc.strerror or exc}") from None
    anchor.set_inheritable(True)
    return anchor


def listen_in_group(anchor: socket.socket) -> socket.socket:
    """A worker's own listening socket on ``anchor``'s address (see ``bind_group``)."""
    sock = _tcp_socket(anchor.family, reuse_port=True)
    sock.bind(anchor.getsockname()[:2])
    sock.listen(_BACKLOG)
    return sock


def _timed(base: type[Any], header_timeout_s: float) -> type[Any]:
    """``base`` (a uvicorn HTTP protocol) closing connections whose request headers are late.

    A timer starts when the connection opens and after each response; if no new
    request has begun when it fires, the connection is closed (a slow or
    half-sent header block cannot hold it). The subclass is made with ``type()``:
    uvicorn is untyped, and a class statement would subclass ``Any``.
    """

    def arm(self: Any) -> None:
        if self._hf_timer is not None:
            self._hf_timer.cancel()
        self._hf_timer = self.loop.call_later(header_timeout_s, expire, self, self.cycle)

    def expire(self: Any, cycle: Any) -> None:
        idle = cycle is None or cycle.response_complete
        if self.cycle is cycle and idle and not self.transport.is_closing():
            _log.info("closing a connection whose request headers took over %gs", header_timeout_s)
            self.transport.close()

    def connection_made(self: Any, transport: Any) -> None:
        base.connection_made(self, transport)
        arm(self)

    def on_response_complete(self: Any) -> None:
        base.on_response_complete(self)
        arm(self)

    def connection_lost(self: Any, exc: Exception | None) -> None:
        if self._hf_timer is not None:
            self._hf_timer.cancel()
        base.connection_lost(self, exc)

    namespace = {
        "_hf_timer": None,
        "connection_made": connection_made,
        "on_response_complete": on_response_complete,
        "connection_lost": connection_lost,
    }
    return type(f"HeaderTimeout{base.__name__}", (base,), namespace)


def _protocol(header_timeout_s: float) -> type[Any]:
    import importlib

    try:
        base = importlib.import_module("uvicorn.protocols.http.httptools_impl").HttpToolsProtocol
    except ImportError:  # no httptools: uvicorn's pure-Python h11 protocol
        base = importlib.import_module("uvicorn.protocols.http.h11_impl").H11Protocol
    return _timed(base, header_timeout_s)


def build_server(
    app: Any,
    *,
    log_level: str = "info",
    root_path: str = "",
    timeout_keep_alive: int = 5,
    header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S,
    limit_concurrency: int | None = None,
    banner: str | None = None,
    log_format: str = "text",
    on_started: Callable[[], None] | None = None,
) -> uvicorn.Server:
    """A uvicorn ``Server`` for ``app`` with hyperflow's timeouts and logging.

    ``log_format``: ``"text"`` or ``"json"`` (see ``_logging``); ``on_started`` is
    called once the server listens.
    """
    import uvicorn

    config = uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,  # hyperflow writes its own structured access log
        log_config=log_config(log_level, log_format),
        http=_protocol(header_timeout_s),
        root_path=root_path,
        timeout_keep_alive=timeout_keep_alive,
        limit_concurrency=limit_concurrency,
        lifespan="on",
    )

    class Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started and banner:
                _log.info("%s", banner, extra={"hf": {"event": "start"}})
            if self.started and on_started is not None:
                on_started()

    return Server(config)


def banner_of(app: Any, sock: socket.socket, root_path: str) -> str:
    """The start line: the model, its version and alias, where it listens and its docs."""
    p = app.state.hyperflow.predictor
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}{root_path.rstrip('/')}"
    alias = f" (alias {p.alias})" if p.alias else ""
    return (
        f"hyperflow serve: {p.name} {p.version or '(no version)'}{alias} at {url} - docs {url}/docs"
    )


def _spawnable(model: object) -> bool:
    """A reference, or a source a spawned worker can receive (it pickles)."""
    if isinstance(model, str):
        return True
    import pickle

    try:
        pickle.dumps(model)
    except Exception:
        return False
    return True


def _check_granian(model: object, sockets: list[socket.socket] | None) -> None:
    """Granian's workers load the model themselves and bind the port themselves."""
    if sockets is not None:
        raise ServeError("server='granian' binds host:port itself; sockets (--fd) are uvicorn's")
    if isinstance(model, Predictor) or not _spawnable(model):
        raise ServeError(
            "server='granian' needs the model as 'name@alias' or a picklable ModelSource "
            f"(its workers load it), but got a {type(model).__name__}"
        )


def _check_workers(model: str | Predictor | ModelSource, workers: int) -> None:
    """Workers rebuild the app from ``model``: it must be a reference they can resolve."""
    if workers < 1:
        raise ServeError(f"workers must be >= 1, but got {workers}")
    if workers > 1 and (isinstance(model, Predictor) or not _spawnable(model)):
        raise ServeError(
            f"workers={workers} needs the model as 'name@alias' or a picklable ModelSource "
            f"(each worker loads it), but got a {type(model).__name__}; pass the reference "
            "or use workers=1"
        )
    if workers > 1:  # an unknown model is one clear error here, not one per worker
        from hyperflow.serve._service import resolve_source

        resolve_source(model).current()


def serve(
    model: str | Predictor | ModelSource,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    workers: int = 1,
    log_level: str = "info",
    log_format: str = "text",
    access_log: bool = True,
    sockets: list[socket.socket] | None = None,
    root_path: str = "",
    timeout_keep_alive: int = 5,
    header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S,
    limit_concurrency: int | None = None,
    server: str = "uvicorn",
    **app_options: Any,
) -> None:
    """Serve ``model`` over HTTP until interrupted (Ctrl-C flushes the prediction log).

    Args:
        model: ``"name@alias"``, a ``Predictor`` or a ``ModelSource`` (with
            ``workers > 1``: ``"name@alias"`` or a picklable ``ModelSource``, such as
            ``hyperflow.deploy.BundleSource``; each worker loads it).
        host, port: where to listen (loopback by default); a busy port raises
            ``ServeError`` naming it.
        workers: worker processes sharing the socket (see ``_workers``): ``/metrics``
            sums them all; each logs its predictions and polls the alias.
        log_level: level of uvicorn's and hyperflow's log lines.
        log_format: ``"text"`` or ``"json"`` (one JSON object per line).
        access_log: one structured line per request (``hyperflow.serve.access``).
        sockets: already bound listening sockets to serve on (``host``/``port`` unused).
        root_path, timeout_keep_alive, header_timeout_s, limit_concurrency: as in
            :func:`build_server` (proxy prefix; idle keep-alive seconds; seconds to send
            the request headers; connections at most before 503s).
        server: ``"uvicorn"`` or ``"granian"`` (``pip install 'hyperflow[granian]'``; it
            binds ``host:port`` itself, so ``sockets`` cannot be given; see ``_granian``).
        **app_options: passed to :func:`create_app` (``max_batch_size``, ...).
    """
    try:
        import uvicorn  # noqa: F401
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ServeError("serving needs uvicorn: pip install 'hyperflow[serve]'") from exc
    check_log_format(log_format)
    _check_workers(model, workers)
    if server == "granian":
        _check_granian(model, sockets)
        from hyperflow.serve._granian import serve_granian

        options = {**app_options, "access_log": access_log}
        serve_granian(model, host, port, workers, log_level, options)
        return
    if server != "uvicorn":
        raise ServeError(f"unknown server {server!r}: use 'uvicorn' or 'granian'")
    server_options = dict(
        log_level=log_level,
        log_format=log_format,
        root_path=root_path,
        timeout_keep_alive=timeout_keep_alive,
        header_timeout_s=header_timeout_s,
        limit_concurrency=limit_concurrency,
    )
    group = sockets is None and workers > 1 and hasattr(socket, "SO_REUSEPORT")
    listening = sockets or [bind_group(host, port) if group else bind_socket(host, port)]
    try:
        options = {**app_options, "access_log": access_log}
        _run(model, listening, workers, server_options, options, own_sockets=group)
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled gracefully
        pass
    finally:
        if sockets is None:
            for sock in listening:
                sock.close()


def _run(
    model: str | Predictor | ModelSource,
    sockets: list[socket.socket],
    workers: int,
    server_options: dict[str, Any],
    app_options: dict[str, Any],
    *,
    own_sockets: bool,
) -> None:
    """One server in this process, or ``workers`` worker processes (see ``_workers``), each
    on its own socket of ``sockets[0]``'s ``SO_REUSEPORT`` group when ``own_sockets``."""
    from hyperflow.serve._app import create_app

    if workers > 1:
        from hyperflow.serve._workers import WorkerSpec, serve_workers

        spec = WorkerSpec(model, workers, server_options, app_options, own_socket=own_sockets)
        serve_workers(spec, sockets[0])
        return
    app = create_app(model, **app_options)
    banner = banner_of(app, sockets[0], server_options["root_path"])
    build_server(app, banner=banner, **server_options).run(sockets=sockets)
