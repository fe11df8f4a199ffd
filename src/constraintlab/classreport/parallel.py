"""Read a class on every core: chunks of files parsed in worker processes, used in path order.

:func:`read_chunks` cuts the sorted file list into chunks and yields one
:class:`~constraintlab.classreport.load.ChunkRead` per chunk, always in the files' order,
whether the chunks were read here or in a pool of worker processes. The workers run the very
same :func:`~constraintlab.classreport.load.read_chunk` (the ledger's parser, then the column
builders) and send back column lists, never per-entry objects; the decisions that depend on
other files (duplicates, id conflicts) stay in :func:`~constraintlab.classreport.load.load_class`
in this process. So a parallel run and a single-process run give the same tables.

Workers are fresh interpreters (``spawn``), direct children of this process: they import
only what the loader needs (no DuckDB, no plotly) and inherit no threads or open databases;
their CPU time and memory count as this process's children's. At most a few chunks per worker
are in flight, so a large class never waits in memory as parsed results. Progress counts
files whose chunk is finished: per file when reading here, per chunk (in order) from the pool.

A pool pays off only for larger classes: by default one worker per
:data:`MIN_FILES_PER_WORKER` files, up to the CPUs this process may use.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import sys
import types
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import cast

from constraintlab.classreport.load import ChunkRead, read_chunk

MAX_CHUNK_FILES = 128  # the last chunk keeps one worker busy alone: keep it short
MIN_CHUNK_FILES = 16
CHUNKS_PER_WORKER = 8  # enough chunks that the workers finish together and progress moves
IN_FLIGHT_PER_WORKER = 3
MIN_FILES_PER_WORKER = 500  # below this, starting a worker costs more than it saves

OnFile = Callable[[int], None]
"""Called with the number of files read so far."""


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


def worker_count(n_files: int, requested: int | None = None) -> int:
    """Worker processes for ``n_files``: ``requested`` if given, else as many as pay off."""
    if requested is not None:
        return max(requested, 1)
    return max(min(available_cpus(), n_files // MIN_FILES_PER_WORKER), 1)


def chunk_size(n_files: int, workers: int) -> int:
    """Files per chunk: about :data:`CHUNKS_PER_WORKER` chunks a worker, within bounds."""
    share = math.ceil(n_files / (workers * CHUNKS_PER_WORKER))
    return min(max(share, MIN_CHUNK_FILES), MAX_CHUNK_FILES)


def read_chunks(
    files: Sequence[Path], *, workers: int | None = None, on_file: OnFile | None = None
) -> Iterator[ChunkRead]:
    """Every chunk of ``files`` read, in order; ``workers`` > 1 reads them in a process pool.

    A pool's workers start before this returns (so the caller can do other work, such as
    importing DuckDB, while they start); the chunks come as the iterator is consumed.
    """
    count = worker_count(len(files), workers)
    size = chunk_size(len(files), count)
    chunks = [tuple(files[i : i + size]) for i in range(0, len(files), size)]
    if count == 1 or len(chunks) == 1:
        return _read_here(chunks, on_file)
    reader = _read_in_pool(chunks, count, on_file)
    next(reader)  # runs to the first yield: the workers are started and busy
    return cast(Iterator[ChunkRead], reader)


def _read_here(chunks: Sequence[Sequence[Path]], on_file: OnFile | None) -> Iterator[ChunkRead]:
    done = 0

    def one_more() -> None:
        nonlocal done
        done += 1
        if on_file is not None:
            on_file(done)

    for chunk in chunks:
        yield read_chunk(chunk, one_more)


def _read_in_pool(
    chunks: Sequence[Sequence[Path]], workers: int, on_file: OnFile | None
) -> Iterator[ChunkRead | None]:
    """Chunks read by ``workers`` processes, yielded in order, a few in flight per worker;
    first a None once the workers are started. Closing it early cancels what is pending."""
    done = 0
    with ProcessPoolExecutor(workers, mp_context=_start_context()) as pool:
        pending: deque[Future[ChunkRead]] = deque()
        waiting = iter(chunks)
        try:
            with _bare_main():  # the workers start on these first submits
                for chunk in waiting:
                    pending.append(pool.submit(read_chunk, chunk))
                    if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                        break
            yield None
            while pending:
                result = pending.popleft().result()
                for chunk in waiting:  # keep the pool busy before using this result
                    pending.append(pool.submit(read_chunk, chunk))
                    break
                done += len(result.outcomes)
                if on_file is not None:
                    on_file(done)
                yield result
        finally:
            for future in pending:
                future.cancel()


@contextmanager
def _bare_main() -> Iterator[None]:
    """Workers started meanwhile do not run this program's ``__main__`` again.

    ``spawn`` imports the parent's main module in every worker (as ``__mp_main__``), so that
    functions defined there can be unpickled. The worker function lives in
    :mod:`constraintlab.classreport.load`, so for the report that import is only a cost: for
    the CLI it is typer, rich and every command module, about half of a worker's start
    (0.35 s of CPU for two workers on this machine). An empty module stands in for
    ``__main__`` while the pool starts its workers (on the caller's thread, in ``submit``).
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is None:
            del sys.modules["__main__"]
        else:
            sys.modules["__main__"] = main


def _start_context() -> multiprocessing.context.BaseContext:
    """``spawn``: not a fork of this process, which may already run threads (DuckDB, a progress
    bar) whose locks a fork would copy in whatever state they are; not a fork server, whose
    workers are not this process's children (their CPU time would go unaccounted)."""
    return multiprocessing.get_context("spawn")
