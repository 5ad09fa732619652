"""Aggregates of many overlapping windows of a stored signal, at a cost set by the signal.

Windows of length L whose starts lie at most L apart form a run. A run is covered by
consecutive blocks of L samples, the first starting at the run's first window, so that a
window [s, s + L) is the suffix of the block holding s plus the prefix of the next block
(van Herk / Gil-Werman). Prefix and suffix accumulations inside each block then give every
window's aggregate from two values: the work grows with the samples the windows cover,
not with windows x L, and no large cumulative sum is ever subtracted (no cancellation).

Blocks are cut into sub-blocks of g samples, g the greatest common divisor of L and the
window offsets in the run (g = 20 for windows every 20 samples, g = 1 for arbitrary
starts). Windows start and end on sub-block boundaries, so the scans run over per-sub-block
aggregates, g times fewer than samples.

Runs that share g make one ``Stream`` of blocks, read one chunk of blocks at a time
(``chunks``): memory stays at a few arrays of a chunk's size, whatever the number of
windows. Windows may come in any order, with any starts, and sparse.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

CHUNK = 1 << 17  # samples x channels per chunk: a few float64 arrays of 1 MiB


@dataclass
class Stream:
    """Consecutive blocks of ``length`` samples covering runs of windows that share ``g``."""

    length: int
    g: int
    block_starts: np.ndarray  # (n_blocks,) first signal sample of each block
    block: np.ndarray  # (n,) block holding each window's start, non-decreasing
    sub: np.ndarray  # (n,) sub-block of the start inside its block, 0 .. n_sub - 1
    index: np.ndarray  # (n,) position of each window in the caller's ``starts``

    @property
    def n_sub(self) -> int:
        return self.length // self.g


@dataclass
class Chunk:
    """Samples of consecutive blocks of a stream and the windows that start in them."""

    x: np.ndarray  # (n_blocks, length + extra, C): each block plus the ``extra`` next samples
    block: np.ndarray  # (n,) block of each window's start, counted inside ``x``
    sub: np.ndarray  # (n,) its sub-block
    index: np.ndarray  # (n,) positions in the caller's ``starts``


def check_starts(signal: np.ndarray, starts, length: int) -> np.ndarray:
    """``starts`` as int64, after checking that every window lies inside the signal."""
    starts = np.asarray(starts, dtype=np.int64).reshape(-1)
    if length < 1:
        raise ValueError(f"window length must be positive, got {length}")
    if starts.size and (starts.min() < 0 or starts.max() + length > signal.shape[0]):
        raise ValueError(
            f"windows of {length} samples at starts {starts.min()}..{starts.max()} do not fit "
            f"in a signal of {signal.shape[0]} samples"
        )
    return starts


def streams(starts: np.ndarray, length: int) -> list[Stream]:
    """Group the windows at ``starts`` into runs and the runs into streams by sub-block size."""
    starts = np.asarray(starts, dtype=np.int64)
    if starts.size == 0:
        return []
    n = starts.size
    order = np.argsort(starts, kind="stable")
    off = starts[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.greater(np.diff(off), length, out=new[1:])
    first = np.flatnonzero(new)  # first window of each run
    del new
    counts = np.diff(np.append(first, n))  # windows per run
    off -= np.repeat(off[first], counts)  # offset of each window from its run's first one
    origin = starts[order[first]]
    g_run = np.gcd(np.gcd.reduceat(off, first), length)
    n_blocks = (off[first + counts - 1] + length - 1) // length + 1
    out = []
    for g in np.unique(g_run):
        mine = g_run == g
        nb, cnt = n_blocks[mine], counts[mine]
        base = np.cumsum(nb) - nb  # the stream's first block of each run
        block_starts = np.repeat(origin[mine], nb) + length * (
            np.arange(int(nb.sum())) - np.repeat(base, nb)
        )
        if mine.all():
            w_off, index = off, order
        else:
            w = np.flatnonzero(np.repeat(mine, counts))
            w_off, index = off[w], order[w]
        block = w_off // length
        sub = w_off - block * length
        sub //= int(g)
        block += np.repeat(base, cnt)
        out.append(Stream(length, int(g), block_starts, block, sub, index))
    return out


def read_blocks(signal: np.ndarray, block_starts: np.ndarray, length: int, extra: int = 0):
    """Samples [b, b + length + extra) of each block start b, (n, length + extra, C).

    Rows past the end of the signal repeat its last sample. Consecutive blocks are read as
    one slice (a view when ``extra`` is 0); scattered ones are gathered.
    """
    n_t, n_ch = signal.shape
    nb = block_starts.size
    first = int(block_starts[0])
    if nb == 1 or bool(np.all(np.diff(block_starts) == length)):
        stop = first + nb * length + extra
        slab = np.ascontiguousarray(signal[first : min(stop, n_t)])
        if stop > n_t:
            slab = np.concatenate([slab, np.repeat(slab[-1:], stop - n_t, axis=0)])
        if extra == 0:
            return slab.reshape(nb, length, n_ch)
        step = slab.strides[0]
        shape = (nb, length + extra, n_ch)
        return np.lib.stride_tricks.as_strided(
            slab, shape, (length * step, step, slab.strides[1]), writeable=False
        )
    rows = np.minimum(block_starts[:, None] + np.arange(length + extra), n_t - 1)
    return np.asarray(signal[rows.reshape(-1)]).reshape(nb, length + extra, n_ch)


def chunks(
    signal: np.ndarray, stream: Stream, extra: int = 0, budget: int | None = None
) -> Iterator[Chunk]:
    """The stream's windows, a chunk of blocks at a time, with the samples they need.

    A chunk finishes the windows that start in its blocks; it also reads the block after
    them, where those windows end. ``budget`` (default ``CHUNK``) bounds the samples x
    channels of a chunk.
    """
    length = stream.length
    per = max(1, (budget or CHUNK) // (length * signal.shape[1]))
    nb = stream.block_starts.size
    for a in range(0, nb, per):
        b = min(a + per, nb)
        lo, hi = np.searchsorted(stream.block, [a, b])
        if lo == hi:
            continue
        x = read_blocks(signal, stream.block_starts[a : min(b + 1, nb)], length, extra)
        yield Chunk(x, stream.block[lo:hi] - a, stream.sub[lo:hi], stream.index[lo:hi])


def sub_max(xs: np.ndarray) -> np.ndarray:
    """Max over axis 2 of (blocks, sub-blocks, g, C): a loop over g when g is small (faster)."""
    if xs.shape[2] > 64:
        return xs.max(axis=2)
    out = xs[:, :, 0].copy()
    for i in range(1, xs.shape[2]):
        np.maximum(out, xs[:, :, i], out=out)
    return out


def prefix_suffix(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inclusive prefix and suffix sums of ``a`` (blocks, sub-blocks, ...) inside each block."""
    pre = np.cumsum(a, axis=1)
    suf = np.cumsum(a[:, ::-1], axis=1)[:, ::-1]
    return pre, suf


def window_sum(
    pre: np.ndarray, suf: np.ndarray, block: np.ndarray, sub: np.ndarray, width: int
) -> np.ndarray:
    """Sum of ``width`` sub-blocks (n_sub - 1 or n_sub) from sub-block ``sub`` of ``block``.

    The suffix of the start's block plus the prefix of the next block; a window of
    n_sub - 1 sub-blocks that starts a block is a prefix of that block alone.
    """
    n_sub = pre.shape[1]
    tail = sub + width - n_sub  # sub-blocks taken from the next block
    out = suf[block, sub]
    nxt = tail > 0
    if nxt.any():
        out[nxt] += pre[block[nxt] + 1, tail[nxt] - 1]
    short = tail < 0  # only sub == 0 and width == n_sub - 1
    if short.any():
        out[short] = pre[block[short], width - 1] if width > 0 else 0
    return out
