"""Random streams: one ``numpy.random.Generator`` per mechanism (MODEL.md section 4).

Replication ``r`` of a run with root seed ``s`` uses ``SeedSequence(s).spawn(r + 1)[r]``; its
mechanisms' generators are spawned from that in the fixed order of :data:`STREAMS`. Two options
run with the same replication therefore see the same shocks, the same escalation dwell draws
while their histories agree, and the same ISIS draws while their rates agree: common random
numbers.
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
)
"""Spawn order of the mechanisms' streams; never reorder (it would change every result).

``politics`` is reserved: the pressure model of MODEL.md 3.6 is deterministic given the
strikes (the Iraqis killed in a strike are drawn by retaliation), so it never draws; its slot
keeps the order of MODEL.md section 4 and costs nothing (streams are built on first use)."""


class Streams:
    """The generators of one replication, one per mechanism, created on first use.

    Stream i is the i-th child of the replication's seed sequence, exactly as
    ``seed.spawn(len(STREAMS))[i]``; building only the streams a replication uses saves the
    cost of seeding the others (a mechanism that is off never draws).
    """

    __slots__ = ("_seed", *STREAMS)

    shocks: np.random.Generator
    attacks: np.random.Generator
    casualties: np.random.Generator
    retaliation: np.random.Generator
    politics: np.random.Generator
    isis: np.random.Generator
    escalation: np.random.Generator
    posture: np.random.Generator

    def __init__(self, replication_seed: np.random.SeedSequence) -> None:
        self._seed = replication_seed

    @classmethod
    def spawn(cls, replication_seed: np.random.SeedSequence) -> Streams:
        return cls(replication_seed)

    def __getattr__(self, name: str) -> np.random.Generator:
        # Called only for a stream not created yet (slots hold the created ones).
        if name not in STREAMS:
            raise AttributeError(name)
        seed = self._seed
        child = np.random.SeedSequence(
            seed.entropy, spawn_key=(*seed.spawn_key, STREAMS.index(name)), pool_size=seed.pool_size
        )
        generator = np.random.Generator(np.random.PCG64(child))
        object.__setattr__(self, name, generator)
        return generator


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
    return f"{seed.entropy}/" + "/".join(str(k) for k in seed.spawn_key)


class Uniforms:
    """Uniforms on [0, 1) drawn from a generator in blocks, handed out one at a time.

    Scalar ``Generator`` calls cost about as much as a SimPy event; drawing blocks keeps a
    hot loop cheap. The sequence is a fixed function of the generator, so it is as
    reproducible (and as common across options) as scalar draws.
    """

    __slots__ = ("_rng", "_block", "_values", "_next")

    def __init__(self, rng: np.random.Generator, block: int = 256) -> None:
        self._rng = rng
        self._block = block
        self._values: list[float] = []
        self._next = 0

    def __call__(self) -> float:
        if self._next == len(self._values):
            self._values = self._rng.random(self._block).tolist()
            self._next = 0
        value = self._values[self._next]
        self._next += 1
        return value

    def exponential(self) -> float:
        """A standard exponential draw (mean 1) by inversion."""
        return -math.log1p(-self())
