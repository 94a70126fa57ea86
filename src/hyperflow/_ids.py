"""One id generator: 128-bit random ids (run ids, request ids) as 32 hex characters.

``os.urandom`` is one system call per read, and a system call can cost ~100 us in
sandboxed kernels (gVisor and the like), more than a whole served request; so the
bytes are read 256 ids at a time. They are as unpredictable either way. A forked
child drops the parent's unused ids, so two processes never hand out the same one.
"""

from __future__ import annotations

import os
import threading

__all__ = ["random_id"]

_IDS_PER_READ = 256
_ids: list[str] = []
_lock = threading.Lock()
os.register_at_fork(after_in_child=_ids.clear)


def random_id() -> str:
    """A random 128-bit id in hex (as ``uuid4().hex``), from the OS CSPRNG.

    Example:
        >>> a, b = random_id(), random_id()
        >>> len(a), a != b
        (32, True)
    """
    with _lock:
        if not _ids:
            raw = os.urandom(16 * _IDS_PER_READ).hex()
            _ids.extend(raw[i : i + 32] for i in range(0, len(raw), 32))
        return _ids.pop()
