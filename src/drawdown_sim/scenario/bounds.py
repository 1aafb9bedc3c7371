"""Bounds on every number and size that decides how much work a command does.

Replication and state counts, seeds and a scenario's estimated cost are checked here, once,
before any work starts (no results folder is touched), whichever way they came in: the
command line, a study file, ``--set`` or the Python API (:func:`~drawdown_sim.run`,
:func:`~drawdown_sim.compare`, :func:`~drawdown_sim.sweep`). A value past a bound raises
:class:`LimitExceeded` with the value, the limit and what to change, in one line.

Two bounds can only be known while a run goes on; each stops the run with one line
(:class:`RunStopped`) instead of letting it go on for hours:

- most replications of a run's first chunk run away (``max_events``): :class:`RunawayRun`;
- a traced chunk's event log grows past :data:`MAX_TRACED_CHUNK_EVENTS`: :class:`TraceTooLarge`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from . import Scenario
    from .study import Study

MAX_REPLICATIONS = 10_000_000
"""Most replications of one run (per option of a compare): 10^7, as a scenario's
``replications`` field allows."""

MAX_SEED = 2**63 - 1
"""Largest root seed: seeds are integers in [0, 2^63)."""

MAX_STATES = 100_000
"""Most states of the world a study may run (for ``method: sobol``, N x (parameters + 2),
the states actually run). A state x option costs :data:`STATE_BYTES` of memory before its
first replication, so the largest study of five options holds about 0.7 GB of states
(and takes a minute or so to plan them, as 10,000 states take 10 s)."""

STATE_BYTES = 1_500
"""Memory one state x option of a sweep holds while the sweep runs (bytes; measured at about
1,000 with the shipped study's 30 parameters, 830 when it had 18, ``tests/cli/test_bounds.py``;
the margin is for studies with more): the state's
parameter values, shared by its options, and its run's identity. Its scenario is built when
a chunk of it is sent to a worker, not held (held, a state x option cost 15 KB and a
millisecond and a half of validation)."""

MAX_SWEEP_BYTES = 768 * 1024 * 1024
"""Most memory a sweep's states x options may hold while it runs (bytes): the largest study
of five options fits."""

MAX_MOVEMENTS = 5_000
"""Most force movements one replication may plan (its phases' loads and an expulsion's).
Each movement that starts or ends recomputes the attack targets, one per movement in
transit, so a replication's time grows with the square of its movements: 5,000 take about
1.7 s, 20,000 about 14 s and 40,000 about 50 s (one site, one phase of 243 days, on a
shared machine; ``tests/cli/test_bounds.py``). The shipped scenarios plan a few dozen; at
the default movement_size of 100 the limit moves 500,000 personnel."""

MAX_TRACED_CHUNK_EVENTS = 500_000
"""Most events the traced replications of one chunk may log (``--trace``). A traced chunk's
events travel from its worker as rows and are written to one chunk file, read back whole
(at most 256 MB); at this limit the rows take about 0.4 GB in the worker and 30 MB on disk."""


class RunStopped(Exception):
    """A run that cannot go on, with the exit status the command line gives it."""

    exit_code = 2


class LimitExceeded(RunStopped, ValueError):
    """A count, seed or estimated cost past its bound, found before any work starts."""

    exit_code = 2


class RunawayRun(RunStopped):
    """Most replications of a run's first chunk ran away: the rest would too. Exits as
    failed replications do (1)."""

    exit_code = 1


class TraceTooLarge(RunStopped):
    """A traced chunk's event log past :data:`MAX_TRACED_CHUNK_EVENTS`."""

    exit_code = 2


def check_count(what: str, value: object, low: int, high: int) -> int:
    """``value`` as an integer in ``[low, high]``.

    Raises:
        LimitExceeded: not an integer (booleans are not), or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise LimitExceeded(f"{what} must be a whole number, got {str(value)[:40]!r}")
    if not low <= value <= high:
        raise LimitExceeded(f"{what} must be from {low:,} to {high:,}, got {_short(value)}")
    return value


def check_seed(seed: object, what: str = "seed") -> int:
    """A root seed: an integer in [0, 2^63)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise LimitExceeded(f"{what} must be a whole number from 0 to 2^63 - 1, got {_short(seed)}")
    return seed


def _short(value: object) -> str:
    text = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
    return text if len(text) <= 40 else f"{text[:20]}... ({len(text)} characters)"


def planned_movements(scenario: Scenario) -> int:
    """Most force movements one replication of ``scenario`` can start: one per
    ``movement_size`` personnel cut by each phase, plus those an expulsion would move out of
    the federal sites (politics enabled)."""
    cfg = scenario.drawdown
    if not cfg.enabled:
        return 0
    size = cfg.movement_size
    current = {site.name: site.personnel for site in scenario.sites}
    movements = 0
    for targets in scenario.phase_targets():
        for name, target in targets.items():
            cut = current.get(name, 0) - target
            if cut > 0:
                movements += -(-cut // size)
                current[name] = target
    if scenario.politics.enabled:
        movements += sum(
            -(-site.personnel // size) for site in scenario.sites if site.region == "federal"
        )
    return movements


def movement_problem(scenario: Scenario) -> str | None:
    """Why ``scenario`` plans too many movements per replication, or None."""
    movements = planned_movements(scenario)
    if movements <= MAX_MOVEMENTS:
        return None
    return (
        f"the plan needs up to {movements:,} movements per replication, more than the limit "
        f"of {MAX_MOVEMENTS:,} (a replication's time grows with their square); raise "
        "movement_size (personnel per movement)"
    )


def check_run(scenario: Scenario, replications: int, seed: int, trace: int = 0) -> None:
    """A run's counts, seed and cost, before it starts.

    Raises:
        LimitExceeded: one line saying what is past which limit.
    """
    check_count("replications", replications, 1, MAX_REPLICATIONS)
    check_seed(seed)
    check_count("trace", trace, 0, MAX_REPLICATIONS)
    problem = movement_problem(scenario)
    if problem is not None:
        raise LimitExceeded(f"{scenario.name}: {problem}")


def study_states(study: Study, parameters: int) -> int:
    """States a study runs: ``states`` (rbd_fast), or N x (parameters + 2) (sobol)."""
    if study.method == "sobol":
        return study.states * (parameters + 2)
    return study.states


def check_study(study: Study, options: list[Scenario], parameters: int) -> None:
    """A study's counts, seed and memory, before its sweep starts; ``parameters``: how many
    uncertain parameters its design varies (``study.design_parameters`` of the first option).

    Raises:
        LimitExceeded: one line saying what is past which limit.
    """
    check_count("replications", study.replications, 2, MAX_REPLICATIONS)
    check_seed(study.seed)
    check_count("states", study.states, 2, MAX_STATES)
    if study.method == "sobol" and study.states & (study.states - 1):
        raise LimitExceeded(
            f"{study.name}: states: method sobol needs a power of 2 (the Sobol base sample N), "
            f"got {study.states:,}"
        )
    states = study_states(study, parameters)
    how = (
        f"{study.states:,} x ({parameters} parameters + 2) = {states:,} states"
        if study.method == "sobol"
        else f"{states:,} states"
    )
    if states > MAX_STATES:
        raise LimitExceeded(f"{study.name}: {how}, more than the limit of {MAX_STATES:,}")
    memory = states * len(options) * STATE_BYTES
    if memory > MAX_SWEEP_BYTES:
        raise LimitExceeded(
            f"{study.name}: {how} x {len(options)} options would hold about "
            f"{memory / 2**20:,.0f} MB, more than the limit of {MAX_SWEEP_BYTES / 2**20:,.0f} MB; "
            "sample fewer states"
        )
    for option in options:
        problem = movement_problem(option)
        if problem is not None:
            raise LimitExceeded(f"{option.name}: {problem}")
