"""Random streams: one ``numpy.random.Generator`` per mechanism (docs/model.md).

Replication ``r`` of a run with root seed ``s`` is identified by the seed sequence
``SeedSequence(s).spawn(r + 1)[r]`` (entropy ``s``, spawn key ``(r,)``). Each mechanism's
stream is a counter-based Philox generator (Salmon et al. 2011, "Parallel random numbers: as
easy as 1, 2, 3") keyed by ``(s, mechanism)`` with its counter starting at ``(0, 0, r, 0)``:
streams of different mechanisms have different keys, so they are independent, and the
replications of one mechanism occupy disjoint counter ranges of 2^128 draws each. A stream
therefore depends only on (seed, replication, mechanism): not on the worker, the order of
replications or the other mechanisms. Two options run with the same replication see the same
shocks, the same escalation dwell draws while their histories agree, and the same ISIS draws
while their rates agree: common random numbers.

Setting a pooled generator's counter costs about 1.5 microseconds where spawning a seed
sequence and seeding a PCG64 costs about 22, which matters at thousands of replications a
second. Generators return to a per-process pool when a replication ends
(:meth:`Streams.release`); a replication that is not released simply gets fresh ones.
"""

from __future__ import annotations

import math

import numpy as np

STREAMS = (
    "shocks",
    "attacks",
    "casualties",
    "retaliation",
    "politics",
    "isis",
    "escalation",
    "posture",
    "slip",
)
"""Spawn order of the mechanisms' streams; never reorder (it would change every result).

``politics`` is reserved: the pressure model (docs/model.md) is deterministic given the
strikes (the Iraqis killed in a strike are drawn by retaliation), so it never draws; its slot
keeps the documented stream order and costs nothing (streams are built on first use)."""


_MASK = (1 << 64) - 1


class _Keyed:
    """A Philox generator whose key and counter are set by assigning its state."""

    __slots__ = ("generator", "_bit", "_state")

    def __init__(self) -> None:
        self._bit = np.random.Philox(key=0)
        self.generator = np.random.Generator(self._bit)
        # Plain lists, not arrays: the state setter reads them about twice as fast.
        self._state: dict[str, object] = {
            "bit_generator": "Philox",
            "state": {},
            "buffer": [0, 0, 0, 0],
            "buffer_pos": 4,
            "has_uint32": 0,
            "uinteger": 0,
        }

    def reset(self, root: int, mechanism: int, replication: int) -> np.random.Generator:
        # Roots beyond 64 bits keep their high part in the counter's last word.
        self._state["state"] = {
            "counter": [0, 0, replication & _MASK, (root >> 64) & _MASK],
            "key": [root & _MASK, mechanism],
        }
        self._bit.state = self._state  # type: ignore[assignment]
        return self.generator


_MECHANISM = {name: index for index, name in enumerate(STREAMS)}
"""A mechanism's index in STREAMS: the second word of its streams' key."""

_POOL: dict[str, list[_Keyed]] = {name: [] for name in STREAMS}
"""Released generators of this process, per mechanism."""


class Streams:
    """The generators of one replication, one per mechanism, set up on first use (a mechanism
    that is off never draws)."""

    __slots__ = ("_root", "_replication", "_taken", *STREAMS)

    shocks: np.random.Generator
    attacks: np.random.Generator
    casualties: np.random.Generator
    retaliation: np.random.Generator
    politics: np.random.Generator
    isis: np.random.Generator
    escalation: np.random.Generator
    posture: np.random.Generator
    slip: np.random.Generator

    def __init__(self, replication_seed: np.random.SeedSequence) -> None:
        entropy = replication_seed.entropy
        key = replication_seed.spawn_key
        if not isinstance(entropy, int) or len(key) > 1 or entropy < 0:
            raise ValueError(
                "a replication seed is SeedSequence(root).spawn(...)[r] for an integer root "
                f"seed >= 0 (got entropy {entropy!r}, spawn key {key!r})"
            )
        self._root = entropy
        self._replication = key[0] if key else 0
        self._taken: list[tuple[str, _Keyed]] = []

    @classmethod
    def spawn(cls, replication_seed: np.random.SeedSequence) -> Streams:
        return cls(replication_seed)

    def __getattr__(self, name: str) -> np.random.Generator:
        # Called only for a stream not set up yet (slots hold the ones in use).
        mechanism = _MECHANISM.get(name)
        if mechanism is None:
            raise AttributeError(name)
        pool = _POOL[name]
        keyed = pool.pop() if pool else _Keyed()
        self._taken.append((name, keyed))
        generator = keyed.reset(self._root, mechanism, self._replication)
        object.__setattr__(self, name, generator)
        return generator

    def release(self) -> None:
        """Return this replication's generators to the pool; the streams must not be used
        afterwards."""
        for name, keyed in self._taken:
            _POOL[name].append(keyed)
            object.__delattr__(self, name)
        self._taken = []


def replication_seeds(root_seed: int, first: int, count: int) -> list[np.random.SeedSequence]:
    """Seed sequences of replications ``first .. first+count-1`` of a run with ``root_seed``.

    Equal to ``SeedSequence(root_seed).spawn(first + count)[first:]`` without spawning the
    earlier children: a chunk of a large run costs the same whatever its position.
    """
    root = np.random.SeedSequence(root_seed)
    return [
        np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, index))
        for index in range(first, first + count)
    ]


def seed_text(seed: np.random.SeedSequence) -> str:
    """A replication's entropy as text, e.g. ``20240906/17`` (root seed / spawn key)."""
    return f"{seed.entropy}/" + "/".join(map(str, seed.spawn_key))


class _Blocks:
    """Draws made in blocks and handed out one at a time.

    Scalar ``Generator`` calls cost about as much as a SimPy event; drawing blocks keeps a
    hot loop cheap. The sequence is a fixed function of the generator, so it is as
    reproducible (and as common across options) as scalar draws.
    """

    __slots__ = ("_block", "_values", "_next")

    def __init__(self, block: int) -> None:
        self._block = block
        self._values: list[float] = []
        self._next = 0

    def _draw(self) -> list[float]:
        """The next block of values."""
        raise NotImplementedError

    def __call__(self) -> float:
        if self._next == len(self._values):
            self._values = self._draw()
            self._next = 0
        value = self._values[self._next]
        self._next += 1
        return value


class Uniforms(_Blocks):
    """Uniforms on [0, 1) from a generator, in blocks (see :class:`_Blocks`)."""

    __slots__ = ("_rng",)

    def __init__(self, rng: np.random.Generator, block: int = 256) -> None:
        super().__init__(block)
        self._rng = rng

    def _draw(self) -> list[float]:
        values: list[float] = self._rng.random(self._block).tolist()
        return values

    def exponential(self) -> float:
        """A standard exponential draw (mean 1) by inversion."""
        return -math.log1p(-self())

    def ahead(self, count: int) -> tuple[list[float], int]:
        """``(buffer, i)``: the buffer holds at least ``count`` values not yet handed out,
        from index ``i`` on. Looking ahead consumes nothing: the values are handed out
        later, in the same order, by calls or :meth:`skip`."""
        if self._next + count > len(self._values):
            values = self._values[self._next :]
            while len(values) < count:
                values += self._draw()
            self._values = values
            self._next = 0
        return self._values, self._next

    def skip(self, count: int) -> None:
        """Hand out ``count`` values looked at with :meth:`ahead` without returning them."""
        if self._next + count > len(self._values):
            self.ahead(count)
        self._next += count


class Exponentials(_Blocks):
    """Standard exponential draws (mean 1) in blocks, for a mechanism's stream that draws
    nothing else.

    ``Generator.standard_exponential(n)`` gives the same values as ``n`` scalar calls, and
    ``scale * value`` is exactly what ``exponential(scale)`` returns, so blocks change
    nothing but the cost (a scalar call costs a few microseconds). The stream is set up at
    the first draw, not before.
    """

    __slots__ = ("_streams", "_mechanism")

    def __init__(self, streams: Streams, mechanism: str, block: int = 32) -> None:
        super().__init__(block)
        self._streams = streams
        self._mechanism = mechanism

    def _draw(self) -> list[float]:
        rng: np.random.Generator = getattr(self._streams, self._mechanism)
        values: list[float] = rng.standard_exponential(self._block).tolist()
        return values
