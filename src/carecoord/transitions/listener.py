"""The MLLP listener: many connections, each block stored and committed before its ACK is written.

Each connection reads one block, hands it to the listener's intake queue, writes the acknowledgement once the
block is committed and only then reads the next block: a slow database slows the acknowledgements (and, through
TCP, the sender) but never drops a message. The queue is a group commit: one group at a time is judged and
stored (``actions.receive_blocks``, one transaction, in a database thread); the blocks that arrive meanwhile
form the next group. Up to ``db_threads`` groups are stored at once, each in its own transaction, so the
database flushes their commits together: under load a commit serves every connection that was waiting, and a
lone block is stored as soon as it arrives. A connection that is idle for ``idle_timeout``, or
sends bytes that are not an MLLP block, is closed; other connections carry on. If the database fails, the
block is not acknowledged and the connection is closed, so the sender sends it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import close_old_connections, connections
from hl7.mllp import start_hl7_server

from carecoord.common.middleware import origin
from carecoord.hl7v2 import mllp
from carecoord.hl7v2.ack import REJECT, Outcome, ack
from carecoord.transitions.actions import Reply, receive_block, receive_blocks, record_framing_error
from carecoord.transitions.config import ListenerConfig

log = logging.getLogger(__name__)

MAX_GROUP = 200  # blocks stored in one transaction at most


def _in_db_thread(function: Any, /, **kwargs: Any) -> Any:
    """Run an action in a database thread as a unit of work (connections checked and aged like a request)."""
    close_old_connections()
    try:
        with origin("hl7", client_address=str(kwargs.get("peer", ""))[:64]):
            return function(**kwargs)
    finally:
        close_old_connections()


class Listener:
    """An MLLP server on ``config.host``/``config.port`` (port 0: any free port, see ``port``)."""

    def __init__(self, config: ListenerConfig):
        self.config = config
        self.executor = ThreadPoolExecutor(max_workers=config.db_threads, thread_name_prefix="adt-db")
        self.server: asyncio.Server | None = None
        self.connections: set[asyncio.Task[Any]] = set()
        self.received = 0
        self._waiting: list[tuple[bytes, str, asyncio.Future[Reply]]] = []
        self._storing: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self.server = await start_hl7_server(
            self._connected,
            self.config.host,
            self.config.port,
            limit=self.config.max_block_bytes,
            reuse_port=self.config.processes > 1,  # the processes of one listener share the port
        )
        log.info("ADT listener on %s:%s", self.config.host, self.port)

    async def serve_forever(self) -> None:
        assert self.server is not None
        await self.server.serve_forever()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
        for task in list(self.connections):
            task.cancel()
        if self.connections:
            await asyncio.gather(*self.connections, return_exceptions=True)
        if self._storing:
            await asyncio.gather(*self._storing, return_exceptions=True)
        if self.server is not None:
            await self.server.wait_closed()
        # Close each database thread's connection (the barrier makes every thread take one), then the threads.
        loop = asyncio.get_running_loop()
        barrier = threading.Barrier(self.config.db_threads, timeout=5)
        await asyncio.gather(
            *(loop.run_in_executor(self.executor, _close_connections, barrier) for _ in range(self.config.db_threads)),
            return_exceptions=True,
        )
        self.executor.shutdown(wait=True)

    async def _run(self, function: Any, /, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, lambda: _in_db_thread(function, **kwargs))

    async def _receive(self, raw: bytes, peer: str) -> Reply:
        """The block's reply, once it is committed with the group it joined."""
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._waiting.append((raw, peer, future))
        if len(self._storing) < self.config.db_threads:
            storing = asyncio.create_task(self._store_groups())
            self._storing.add(storing)
            storing.add_done_callback(self._storing.discard)
        return await future

    async def _store_groups(self) -> None:
        """Store what is waiting, a group at a time, until nothing is (one of up to ``db_threads`` at once)."""
        while self._waiting:
            group, self._waiting = self._waiting[:MAX_GROUP], self._waiting[MAX_GROUP:]
            try:
                replies = await self._run(
                    receive_blocks,
                    blocks=[(raw, peer) for raw, peer, _ in group],
                    application=self.config.application,
                    facility=self.config.facility,
                )
            except Exception as error:
                if len(group) == 1:
                    _settle(group[0][2], error=error)
                    continue
                # One block must not fail the others: each one again, alone, in its own transaction.
                for raw, peer, future in group:
                    try:
                        reply = await self._run(
                            receive_block,
                            raw=raw,
                            peer=peer,
                            application=self.config.application,
                            facility=self.config.facility,
                        )
                    except Exception as alone:
                        _settle(future, error=alone)
                    else:
                        _settle(future, reply)
                continue
            for (_, _, future), reply in zip(group, replies, strict=True):
                _settle(future, reply)

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.connections.add(task)
        peer_info = writer.get_extra_info("peername")
        peer = f"{peer_info[0]}:{peer_info[1]}" if isinstance(peer_info, tuple) else str(peer_info or "")
        try:
            if len(self.connections) > self.config.max_connections:
                log.warning("Refusing %s: %s connections open", peer, len(self.connections) - 1)
                return
            await self._converse(reader, writer, peer)
        except asyncio.CancelledError:
            pass
        except (ConnectionError, OSError) as error:
            log.info("Connection %s ended: %s", peer, error)
        except Exception:
            log.exception("Connection %s failed; closing it", peer)
        finally:
            self.connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _converse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str) -> None:
        while True:
            try:
                raw = await asyncio.wait_for(mllp.read_block(reader), timeout=self.config.idle_timeout)
            except TimeoutError:
                log.info("Closing idle connection %s", peer)
                return
            except asyncio.IncompleteReadError as end:
                leftover = end.partial.strip(b"\r\n \t")
                if leftover:
                    await self._run(
                        record_framing_error, raw=leftover, peer=peer, reason="The connection closed inside a block."
                    )
                return
            except mllp.FramingError as error:
                await self._run(record_framing_error, raw=error.raw, peer=peer, reason=str(error))
                outcome = Outcome(REJECT, str(error), "100", "")
                text = ack(None, outcome, application=self.config.application, facility=self.config.facility)
                writer.write(mllp.frame(text.encode("latin-1", "replace")))
                await writer.drain()
                log.warning("Closing %s after a framing error: %s", peer, error)
                return
            reply = await self._receive(raw, peer)
            self.received += reply.stored
            writer.write(mllp.frame(reply.ack))
            await writer.drain()


def _settle(future: asyncio.Future[Reply], reply: Reply | None = None, *, error: Exception | None = None) -> None:
    """Hand a connection its reply, or the error that kept its block from being stored (the connection closes
    without an ACK). A connection closed meanwhile is not waiting any more."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    elif reply is not None:
        future.set_result(reply)


def _close_connections(barrier: threading.Barrier) -> None:
    connections.close_all()
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait()


async def serve(config: ListenerConfig, *, started: asyncio.Event | None = None) -> None:
    """Run a listener until cancelled (the command's main)."""
    listener = Listener(config)
    await listener.start()
    if started is not None:
        started.set()
    try:
        await listener.serve_forever()
    finally:
        await listener.close()
