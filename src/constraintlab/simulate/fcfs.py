"""Service start times of a first-come-first-served queue with c identical servers.

Customer i arrives at ``a_i`` (non-decreasing), needs ``s_i`` of service and takes the server
that becomes free first. With ``f`` the servers' free times just before customer i:

    start_i = max(a_i, min f),    then min f is replaced by start_i + s_i

(the Kiefer-Wolfowitz recursion; J. Kiefer and J. Wolfowitz, "On the theory of queues with
many servers", Trans. AMS 78, 1955). The queue starts empty: every server is free at time 0.
Inputs are taken as given (``response_times`` draws them so): arrivals non-decreasing,
service times >= 0, float64 arrays of one length >= 1.

Five exact ways to compute it, each returning ``start`` (response time = start - a + s):

* :func:`start_times_sequential`: the recursion customer by customer with a heap of free
  times. The reference; about 7 million customers/s.
* :func:`start_times_single_server`: c = 1, Lindley's recursion unrolled,
  ``start_j = C_j + max_{m <= j} (a_m - C_m)`` with ``C_j = s_0 + ... + s_{j-1}``,
  one cumulative maximum (D. V. Lindley, Proc. Cambridge Phil. Soc. 48, 1952).
* :func:`start_times_equal_service`: every service time equal to D. Then customers leave in
  the order they start, the first free server is the one customer i - c used, and
  ``start_i = max(a_i, start_{i-c} + D)``: c interleaved Lindley recursions.
* :func:`start_times_time_parallel`: any c and service times, bit-for-bit equal to the
  sequential recursion, 20-50 million customers/s. The customers are cut into K chunks that
  run side by side in numpy, each from a guessed start state (empty), then repaired: a chunk
  whose start state was wrong is re-run from the right one until it couples with its
  previous run (same state at a checkpoint), after which everything it computed is correct.
  Repairs ripple forward until no start state changes; after a few vectorised rounds the
  remaining repairs run chunk by chunk with the heap. This is time-division parallel
  simulation with fix-up computations (Y.-B. Lin and E. D. Lazowska, "A time-division
  algorithm for parallel simulation", ACM TOMACS 1(1), 1991). A state is compared as the free
  times clamped to the next arrival, ``max(f, a)``, which decides every later start; each
  column keeps its free times sorted, so the server that frees first is row 0 and a new free
  time is merged in with two vectorised min/max passes.

* :func:`start_times_many_servers`: many servers at moderate load (the serving fleets:
  c up to ~2,000 at rho 0.7), where waiting is rare: stretches in which nobody waits are found
  with two sorted searches and taken whole, the customers around a wait go through the heap.
  Equal to the sequential recursion exactly (same operations on the same numbers).

The two Lindley forms differ from the sequential recursion by rounding only (relative
1e-12 or so; a customer who finds a free server starts exactly on arrival in all four); the
time-parallel one performs the same operations as the sequential one on the same numbers and
agrees exactly.
"""

from __future__ import annotations

import heapq

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def _heap_pass(arrivals: FloatArray, services: FloatArray, free: list[float]) -> FloatArray:
    """Kiefer-Wolfowitz customer by customer; ``free`` (a heap) is updated in place.

    ``heapreplace`` returns the smallest free time before the customer takes that server,
    so ``start = max(a, returned)``.
    """
    replace = heapq.heapreplace
    popped = [
        replace(free, (a if a > free[0] else free[0]) + s)
        for a, s in zip(arrivals.tolist(), services.tolist(), strict=True)
    ]
    return np.maximum(arrivals, np.array(popped, dtype=np.float64))


def start_times_sequential(
    arrivals: FloatArray, services: FloatArray, servers: int, free_times: FloatArray | None = None
) -> FloatArray:
    """Start times by the Kiefer-Wolfowitz recursion, one customer at a time (the reference).

    ``free_times`` (length ``servers``) is the servers' state before the first customer;
    default all free at time 0.
    """
    free = [0.0] * servers if free_times is None else sorted(free_times.tolist())
    return _heap_pass(arrivals, services, free)


def _unrolled_lindley(arrivals: FloatArray, before: FloatArray, axis: int = 0) -> FloatArray:
    """``start_j = C_j + max_{m <= j}(a_m - C_m)``, with ``start_j = a_j`` exactly when the
    maximum is reached at j itself (the customer finds the server free: no rounding residue,
    so a wait of zero stays exactly zero)."""
    own = arrivals - before
    best = np.maximum.accumulate(own, axis=axis)
    return np.where(best == own, arrivals, np.maximum(arrivals, before + best))


def start_times_single_server(arrivals: FloatArray, services: FloatArray) -> FloatArray:
    """One server: ``start_j = C_j + max_{m <= j}(a_m - C_m)``, C the services before j."""
    before = np.concatenate(([0.0], np.cumsum(services[:-1])))
    return _unrolled_lindley(arrivals, before)


def start_times_equal_service(arrivals: FloatArray, service: float, servers: int) -> FloatArray:
    """All services equal to ``service``: ``start_i = max(a_i, start_{i-c} + D)``.

    Customer i's residue class i mod c is a single-server queue with service D; padding the
    last row with the last arrival (zero effect on earlier customers) lets numpy run the c
    classes as the columns of one cumulative maximum.
    """
    count = len(arrivals)
    rows = -(-count // servers)
    padded = np.full(rows * servers, arrivals[-1])
    padded[:count] = arrivals
    grid = padded.reshape(rows, servers)
    before = np.broadcast_to((np.arange(rows, dtype=np.float64) * service)[:, None], grid.shape)
    return _unrolled_lindley(grid, before).reshape(-1)[:count]


def _advance(
    free: FloatArray,
    merged: FloatArray,
    arrival: FloatArray,
    service: FloatArray,
    start: FloatArray,
) -> None:
    """One customer in every column: start it on row 0, merge its end into the sorted rest.

    ``free`` holds the c sorted free times per column plus a last row of +inf. With v the new
    free time, the sorted merge of free[1:c] and v is ``max(free[r], min(free[r + 1], v))``
    for r = 0..c-1 (row 0 gives min(free[1], v) as free[0] <= both).
    """
    np.maximum(free[0], arrival, out=start)
    value = start + service
    np.minimum(free[1:], value, out=merged[:-1])
    np.maximum(merged[:-1], free[:-1], out=merged[:-1])


class _Chunks:
    """Customers cut into ``count`` chunks of ``length``, step-major: ``[step, chunk]``."""

    def __init__(
        self,
        arrivals: FloatArray,
        services: FloatArray,
        servers: int,
        length: int,
        checkpoint_every: int,
    ) -> None:
        self.length, self.every, self.servers = length, checkpoint_every, servers
        self.count = -(-len(arrivals) // length)
        size = self.count * length
        # padding customers arrive with the last one and need no service: they come after
        # every real customer, in the last chunk, and change nothing that is returned
        self.arrivals = np.full(size, arrivals[-1])
        self.arrivals[: len(arrivals)] = arrivals
        self.arrivals = np.ascontiguousarray(self.arrivals.reshape(self.count, length).T)
        self.services = np.zeros(size)
        self.services[: len(services)] = services
        self.services = np.ascontiguousarray(self.services.reshape(self.count, length).T)
        self.starts = np.empty((length, self.count))
        # checkpoints[k] = clamped, sorted free times before step k * every, per chunk;
        # NaN never compares equal, so a first run stores every checkpoint
        self.checkpoints = np.full((length // checkpoint_every, servers, self.count), np.nan)
        self.checkpoints[0] = self.arrivals[0]  # the guess: each chunk starts empty
        self.checkpoints[0][:, 0] = np.maximum(self.arrivals[0, 0], 0.0)  # chunk 0 is empty

    def run(self, rows: NDArray[np.intp]) -> tuple[NDArray[np.intp], FloatArray]:
        """Run ``rows`` from their stored start states until each couples or ends.

        Returns the chunks that reached their end with a new trajectory and their end states.
        """
        free = np.full((self.servers + 1, len(rows)), np.inf)  # + a row of +inf, see _advance
        free[:-1] = self.checkpoints[0][:, rows]
        merged = free.copy()
        cols: slice | NDArray[np.intp] = slice(None) if len(rows) == self.count else rows
        for first in range(0, self.length, self.every):
            if first:
                clamped = np.maximum(free[:-1], self.arrivals[first, cols])
                stored = self.checkpoints[first // self.every]
                fresh = ~np.all(clamped == stored[:, cols], axis=0)
                if not fresh.all():
                    rows, free, merged = rows[fresh], free[:, fresh], merged[:, fresh]
                    cols, clamped = rows, clamped[:, fresh]
                stored[:, cols] = clamped
                if len(rows) == 0:
                    break
            steps = slice(first, first + self.every)
            arrivals, services = self.arrivals[steps, cols], self.services[steps, cols]
            block = np.empty_like(arrivals)
            for step in range(len(block)):
                _advance(free, merged, arrivals[step], services[step], block[step])
                free, merged = merged, free
            self.starts[steps, cols] = block
        return rows, free[:-1]

    def repair_sequentially(self, pending: NDArray[np.intp]) -> None:
        """Re-run the ``pending`` chunks one by one, in order, each from its true start state.

        A re-run whose end state differs from the next chunk's stored start makes that chunk
        pending too; a chunk that is not pending keeps the trajectory it has.
        """
        starts_at = self.checkpoints[0]
        flagged = np.zeros(self.count, dtype=bool)
        flagged[pending] = True
        for chunk in range(int(pending.min()), self.count):
            if not flagged[chunk]:
                continue
            free = sorted(starts_at[:, chunk].tolist())
            arrivals = self.arrivals[:, chunk]
            self.starts[:, chunk] = _heap_pass(arrivals, self.services[:, chunk], free)
            if chunk + 1 < self.count:
                state = np.maximum(np.sort(free), self.arrivals[0, chunk + 1])
                if not np.array_equal(state, starts_at[:, chunk + 1]):
                    starts_at[:, chunk + 1] = state
                    flagged[chunk + 1] = True


def start_times_time_parallel(
    arrivals: FloatArray,
    services: FloatArray,
    servers: int,
    *,
    chunk_length: int = 1024,
    checkpoint_every: int = 64,
    vector_rounds: int = 3,
) -> FloatArray:
    """Start times by chunks run side by side and repaired (see the module docstring).

    ``vector_rounds`` rounds run all chunks still to repair side by side; chunks still to
    repair after that (a queue so loaded that chunks rarely couple) are repaired one by one
    with the heap, in order, which costs at most one sequential pass. The result equals
    :func:`start_times_sequential` exactly for any chunking and number of rounds.
    """
    if chunk_length % checkpoint_every:
        raise ValueError(
            f"chunk_length {chunk_length} must be a multiple of checkpoint_every {checkpoint_every}"
        )
    chunks = _Chunks(arrivals, services, servers, chunk_length, checkpoint_every)
    rows = np.arange(chunks.count)
    for _ in range(vector_rounds):
        ended, free = chunks.run(rows)
        following = ended + 1
        inside = following < chunks.count
        following = following[inside]
        new_states = np.maximum(free[:, inside], chunks.arrivals[0, following])
        changed = ~np.all(new_states == chunks.checkpoints[0][:, following], axis=0)
        rows = following[changed]
        chunks.checkpoints[0][:, rows] = new_states[:, changed]
        if len(rows) == 0:
            break
    else:
        chunks.repair_sequentially(rows)
    return chunks.starts.T.reshape(-1)[: len(arrivals)]


def _top(values: FloatArray, count: int) -> FloatArray:
    """The ``count`` largest of ``values`` (any order)."""
    if len(values) <= count:
        return values
    return np.partition(values, len(values) - count)[len(values) - count :]


def start_times_many_servers(
    arrivals: FloatArray,
    services: FloatArray,
    servers: int,
    *,
    heap_block: int = 256,
    first_window: int = 65_536,
) -> FloatArray:
    """Start times for many servers at moderate load: no-wait stretches vectorised, the rest
    customer by customer. Equal to :func:`start_times_sequential` exactly.

    With the servers' free times F before customer i, and every customer from i on starting
    on arrival (d_j = a_j + s_j), customer k still starts on arrival iff fewer than c of
    F and d_i..d_{k-1} exceed a_k. With arrivals strictly increasing and services > 0, the
    d_j <= a_k all have j < k, so the count is ``#(F > a_k) + (k - i) - #(d <= a_k)``: two
    sorted searches for a whole stretch. The first customer who would wait ends the stretch;
    the free times are then the c largest of F and the stretch's departures (a server that is
    taken is always the one free first, whose time is below every later departure), and
    ``heap_block`` customers run through the heap before the next stretch. Ties in arrivals
    or zero services fall back to the heap throughout.
    """
    count = len(arrivals)
    if count < 2 or not (np.all(np.diff(arrivals) > 0) and np.all(services > 0)):
        return start_times_sequential(arrivals, services, servers)
    departures = arrivals + services
    starts = np.empty(count)
    free = np.zeros(servers)
    i, window = 0, first_window
    while i < count:
        end = min(count, i + window)
        seg_a, seg_d = arrivals[i:end], departures[i:end]
        busy_before = servers - np.searchsorted(np.sort(free), seg_a, side="right")
        done = np.searchsorted(np.sort(seg_d), seg_a, side="right")
        waits = busy_before + np.arange(end - i) - done >= servers
        accepted = int(np.argmax(waits)) if waits.any() else end - i
        starts[i : i + accepted] = seg_a[:accepted]
        free = _top(np.concatenate([free, seg_d[:accepted]]), servers)
        i += accepted
        window = int(min(max(2 * accepted, 4 * heap_block), 1 << 20))
        if i >= count:
            break
        stop = min(count, i + heap_block)
        heap = sorted(free.tolist())
        starts[i:stop] = _heap_pass(arrivals[i:stop], services[i:stop], heap)
        free = np.array(heap)
        i = stop
    return starts
