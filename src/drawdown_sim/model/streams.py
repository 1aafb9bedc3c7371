"""Random streams: one ``numpy.random.Generator`` per mechanism (MODEL.md section 4).

Replication ``r`` of a run with root seed ``s`` uses ``SeedSequence(s).spawn(r + 1)[r]``; its
mechanisms' generators are spawned from that in the fixed order of :data:`STREAMS`. Two options
run with the same replication therefore see the same shocks, the same escalation dwell draws
while their histories agree, and the same ISIS draws while their rates agree: common random
numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

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
"""Spawn order of the mechanisms' streams; never reorder (it would change every result)."""


@dataclass(frozen=True)
class Streams:
    """The generators of one replication, one per mechanism."""

    shocks: np.random.Generator
    attacks: np.random.Generator
    casualties: np.random.Generator
    retaliation: np.random.Generator
    politics: np.random.Generator
    isis: np.random.Generator
    escalation: np.random.Generator
    posture: np.random.Generator

    @classmethod
    def spawn(cls, replication_seed: np.random.SeedSequence) -> Streams:
        children = replication_seed.spawn(len(STREAMS))
        return cls(*(np.random.Generator(np.random.PCG64(child)) for child in children))


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
