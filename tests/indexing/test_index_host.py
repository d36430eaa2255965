"""The index host's socket: only a process given its key gets in, only the VectorIndex operations pass,
and a restarted host is reached again by the handles opened before (the search never sees it)."""

from __future__ import annotations

import stat
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client
from pathlib import Path

import numpy as np
import pytest

from indexing.index_host import HostServer, IndexHost
from indexing.index_types import (
    CollectionSpec,
    IndexHostAddress,
    IndexPoint,
    VectorIndexError,
    stable_point_id,
)
from indexing.remote_index import HostLink
from indexing.vector_index import open_index

SPEC = CollectionSpec(name="passages", dimension=4, sparse=False, model_name="m", keyword_fields=("case_id",))
KEY = b"the-key"


def point(i: int) -> IndexPoint:
    vector = np.zeros(4, dtype=np.float32)
    vector[i % 4] = 1.0
    return IndexPoint(stable_point_id(i), vector, None, {"case_id": str(i)})


def test_a_stranger_without_the_key_is_refused_and_the_socket_is_private(tmp_path: Path) -> None:
    server = HostServer(IndexHost(tmp_path / "index"), str(tmp_path / "host.sock"), KEY)
    server.start_thread()
    try:
        assert stat.S_IMODE((tmp_path / "host.sock").stat().st_mode) == 0o600
        with pytest.raises(AuthenticationError):
            Client(server.address, family="AF_UNIX", authkey=b"guess")
        index = open_index(SPEC, host=IndexHostAddress(server.address, KEY))  # the host still serves
        index.upsert([point(1)])
        assert index.count() == 1
    finally:
        server.stop()


def test_only_index_operations_pass(tmp_path: Path) -> None:
    server = HostServer(IndexHost(tmp_path / "index"), str(tmp_path / "host.sock"), KEY)
    server.start_thread()
    link = HostLink(server.address, KEY)
    try:
        open_index(SPEC, host=IndexHostAddress(server.address, KEY))
        for operation in ("close", "__class__", "_live"):
            with pytest.raises(VectorIndexError, match="unknown index operation"):
                link.request(operation, SPEC.name)
        assert link.request("count", SPEC.name) == 0  # the connection is still good
    finally:
        link.close()
        server.stop()


def test_handles_opened_before_a_host_restart_keep_working(tmp_path: Path) -> None:
    address = str(tmp_path / "host.sock")
    first = HostServer(IndexHost(tmp_path / "index"), address, KEY)
    first.start_thread()
    index = open_index(SPEC, host=IndexHostAddress(address, KEY))
    index.upsert([point(i) for i in range(3)])
    first.stop()  # flushes and closes the collection, as a host that is stopped or dies

    second = HostServer(IndexHost(tmp_path / "index"), address, KEY)  # same socket path (a stale file)
    second.start_thread()
    try:
        # The pooled connection to the first host is dead and the new host has not opened the collection:
        # the handle reconnects and reopens it by itself.
        assert index.count() == 3
        hits = index.query(dense=[0.0, 1.0, 0.0, 0.0], sparse=None, flt=None, limit=1, mode="dense")
        assert [h.payload["case_id"] for h in hits] == ["1"]
    finally:
        second.stop()
