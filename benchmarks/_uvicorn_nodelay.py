"""``python -m benchmarks._uvicorn_nodelay ARGS``: uvicorn's CLI with the upstream fix for
its multi-worker listener (Kludex/uvicorn#3149, PR #3155), the peer at its best.

``uvicorn --workers N`` binds its socket with ``proto`` 0, so asyncio never sets
TCP_NODELAY on the accepted connections and every keep-alive response waits ~40 ms for
the client's delayed ACK (2,400 → 725 req/s here). The fix re-creates the listener
on the same descriptor with ``IPPROTO_TCP``.
"""

from __future__ import annotations

import socket
from typing import Any

import uvicorn
import uvicorn.config

_bind = uvicorn.config.Config.bind_socket


def _bind_tcp(self: Any) -> socket.socket:
    sock = _bind(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        sock.set_inheritable(True)
    return sock


uvicorn.config.Config.bind_socket = _bind_tcp  # type: ignore[method-assign]

if __name__ == "__main__":
    uvicorn.main()
