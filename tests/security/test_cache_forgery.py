"""Finding 3: whoever can write the cache folder cannot make a cache hit run code.

The attack is real: the entry files a run wrote are replaced by forged ones
whose payload, once unpickled, creates a marker file. The forged entries are
refused before anything is unpickled and the node is recomputed.
"""

from __future__ import annotations

import logging
import os
import pickle
import stat
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
import xxhash

import hyperflow as hf
from hyperflow.engine import DiskCache, fingerprint

CALLS: list[int] = []


def doubled(x: int) -> int:
    CALLS.append(x)
    return 2 * x


PIPE = hf.Pipeline([doubled], name="forgery")


class Marker:
    """Unpickling this creates a file: proof that forged bytes ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[Path]]:
        return (Path.touch, (self.path,))


@pytest.fixture(autouse=True)
def _own_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("HYPERFLOW_CACHE_KEY_FILE", raising=False)
    CALLS.clear()
    yield


def _entries(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and len(p.parent.name) == 2]


def _forge_v1(entry: Path, payload: bytes) -> None:
    """An entry as the previous format wanted it: its checksum is unkeyed, so anyone can make it."""
    fp = entry.read_bytes()[4:20]  # the fingerprint sits here in both formats
    head = struct.pack("<4s16s16sQ", b"HFC1", fp, xxhash.xxh3_128_digest(payload), len(payload))
    entry.write_bytes(head + payload)


def _forge_v2(entry: Path, payload: bytes) -> None:
    """An entry in today's format, signed with a key the attacker made up."""
    import hmac

    key = os.urandom(32)
    fp = entry.read_bytes()[4:20]
    body = struct.pack("<4s16sQ32s", b"HFC2", fp, len(payload), hmac.digest(key, payload, "sha256"))
    sig = hmac.digest(key, body + entry.name.encode(), "sha256")
    entry.write_bytes(body + sig + payload)


@pytest.mark.parametrize("forge", [_forge_v1, _forge_v2], ids=["unkeyed-checksum", "wrong-key"])
def test_forged_entries_are_refused_and_recomputed(
    forge: object, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "cache"
    assert PIPE.run(inputs={"x": 21}, cache=DiskCache(folder), track=False)["doubled"] == 42
    marker = tmp_path / "pwned"
    entries = _entries(folder)
    assert entries
    for entry in entries:
        forge(entry, pickle.dumps(Marker(marker)))  # type: ignore[operator]
    with caplog.at_level(logging.DEBUG, logger="hyperflow.cache"):
        again = PIPE.run(inputs={"x": 21}, cache=DiskCache(folder), track=False)
    assert not marker.exists()
    assert again["doubled"] == 42 and not any(again.cache_hits.values())
    assert CALLS == [21, 21]
    third = PIPE.run(inputs={"x": 21}, cache=DiskCache(folder), track=False)
    assert all(third.cache_hits.values()) and CALLS == [21, 21]  # the rewritten entry is good


def test_an_entry_moved_to_another_key_is_refused(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "c")
    assert cache.save("aa" * 16, "for a", fingerprint("for a"))
    src = tmp_path / "c" / "aa" / ("aa" * 16)
    dst = tmp_path / "c" / "bb" / ("bb" * 16)
    dst.parent.mkdir()
    dst.write_bytes(src.read_bytes())
    fresh = DiskCache(tmp_path / "c")
    assert fresh.lookup("bb" * 16) is None
    with pytest.raises(KeyError):
        fresh.load("bb" * 16)
    assert fresh.load("aa" * 16) == "for a"


def test_key_file_is_private_and_made_once(tmp_path: Path) -> None:
    DiskCache(tmp_path / "one").save("aa" * 16, 1, fingerprint(1))
    key = tmp_path / "config" / "hyperflow" / "cache.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "one").stat().st_mode) == 0o700
    before = key.read_bytes()
    assert len(before) == 32
    assert DiskCache(tmp_path / "one").load("aa" * 16) == 1  # another instance: same key
    assert key.read_bytes() == before


def test_a_key_file_others_can_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    config = tmp_path / "exposed"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    key = config / "hyperflow" / "cache.key"
    key.parent.mkdir(parents=True)
    key.write_bytes(os.urandom(32))
    key.chmod(0o644)  # anyone on the machine could sign entries with it
    with caplog.at_level(logging.WARNING, logger="hyperflow.cache"):
        cache = DiskCache(tmp_path / "c")
        assert cache.save("cc" * 16, 2, fingerprint(2)) is False
        assert cache.lookup("cc" * 16) is None
    assert "can be read or written by other users (mode 644)" in caplog.text


def test_a_group_writable_cache_folder_is_made_private(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    folder.chmod(0o777)
    cache = DiskCache(folder)
    assert cache.save("aa" * 16, 1, fingerprint(1))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_cache_folder_owned_by_someone_else_is_not_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "theirs"
    assert PIPE.run(inputs={"x": 1}, cache=DiskCache(folder), track=False)["doubled"] == 2
    marker = tmp_path / "pwned"
    for entry in _entries(folder):
        _forge_v1(entry, pickle.dumps(Marker(marker)))
    for p in [folder, *folder.rglob("*")]:
        os.chown(p, 65534, 65534)
    with caplog.at_level(logging.WARNING, logger="hyperflow.cache"):
        r = PIPE.run(inputs={"x": 1}, cache=DiskCache(folder), track=False)
    assert r["doubled"] == 2 and not any(r.cache_hits.values()) and not marker.exists()
    assert "belongs to user id 65534, not to you" in caplog.text
