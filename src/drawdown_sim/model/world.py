"""The shared world of one replication and the base of its components.

Each mechanism is a component that owns its SimPy processes and starts them in one explicit
elaboration step (:meth:`World.start`). Components talk through plain method calls on each
other (``world.escalation.shift(...)``); state that other components read is an attribute.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import simpy

from ..scenario import Scenario
from .records import Log
from .streams import Streams

if TYPE_CHECKING:
    from .escalation import Escalation
    from .forces import ForcePosture
    from .isis import Isis
    from .militia import Militia
    from .politics import Politics
    from .retaliation import Retaliation

ProcessGenerator = Generator[simpy.Event, Any, Any]

STALLED_STEPS = 10_000
"""Consecutive steps of one clock that leave simulated time where it was before the
replication is declared stalled (floating point can no longer tell the times apart)."""


class RunawayReplication(RuntimeError):
    """A replication that would run without bound: too many events, an intensity that is not
    finite, or simulated time that no longer advances. It fails with this reason."""


_DERIVED: dict[tuple[str, int], tuple[Scenario, Any]] = {}


def per_scenario(kind: str, scenario: Scenario, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per scenario object and ``kind`` (values that depend on nothing
    random, such as the movement plan or the derived background rates), not once per
    replication. Keyed by identity; the entry keeps its scenario alive, so no other object
    can take its id while the entry is there."""
    key = (kind, id(scenario))
    cached = _DERIVED.get(key)
    if cached is not None:
        return cached[1]
    if len(_DERIVED) > 64:
        _DERIVED.clear()
    value = compute()
    _DERIVED[key] = (scenario, value)
    return value


class World:
    """Environment, scenario, random streams, records and the components of a replication."""

    forces: ForcePosture
    militia: Militia
    escalation: Escalation
    retaliation: Retaliation
    politics: Politics
    isis: Isis

    def __init__(self, scenario: Scenario, streams: Streams) -> None:
        # Time starts as a float, so ``env.now`` is one from the start (no conversion on
        # every read).
        self.env = simpy.Environment(initial_time=0.0)
        self.scenario = scenario
        self.streams = streams
        self.log = Log()
        self.window_days = float(scenario.window_days)
        """Length of the drawdown window (days): the outcome columns cover [0, window_days)."""
        self.horizon = float(scenario.horizon_days)
        """Days simulated, the follow-on included; the run stops there."""
        self.events = 0
        """Attacks and strikes so far (the runaway guard counts them)."""
        self.max_events = scenario.max_events

    def detach_log(self) -> Log:
        """Hand over the finished replication's records.

        A finished world is a knot of reference cycles (the components and the world point
        at each other, processes at the events they wait on), which only the cyclic garbage
        collector frees. Detached, the records no longer hang from that knot: reference
        counting frees them as soon as their owner lets go. :meth:`dismantle` then unties
        the knot itself.
        """
        log, self.log = self.log, Log()
        return log

    def dismantle(self) -> None:
        """Untie a finished world's reference cycles, so that reference counting frees it at
        once.

        The components and the world point at each other, the environment's queue at events
        whose callbacks are the components' methods, each timer at its own bound method, a
        waiting process and the event it waits on at each other.
        Left tied, the whole world waits for the cyclic collector, which walks every object
        of it (a tenth or more of a replication's time); untied, nothing is left to walk.
        The world must not be used afterwards.
        """
        for component in (
            self.escalation,
            self.militia,
            self.forces,
            self.retaliation,
            self.politics,
            self.isis,
        ):
            for value in vars(component).values():
                if isinstance(value, _TIED):
                    value.dismantle()
            vars(component).clear()
        vars(self.env).clear()
        vars(self).clear()

    def count_event(self) -> None:
        """Count an attack or strike; fail the replication past ``scenario.max_events``."""
        self.events += 1
        if self.events > self.max_events:
            self.runaway()

    def runaway(self) -> None:
        """Fail the replication: it has counted more than ``max_events``."""
        raise RunawayReplication(
            f"more than {self.max_events:,} attacks and strikes by day {self.now:.1f} "
            "(max_events): the attack process runs away; lower the attack rates, the "
            "branching ratio or the provocation, or raise max_events"
        )

    @property
    def now(self) -> float:
        return self.env.now

    def day(self, when: Any) -> float:
        """Day offset of an ISO date within the window."""
        return self.scenario.window.offset(when)


def exact_delay(now: float, at: float) -> float:
    """The delay that SimPy adds to ``now`` to land on the time ``at`` >= ``now``, or on
    the float just before it where no delay can (about one time in a hundred).

    ``at - now`` is rounded, and ``now + (at - now)`` can miss ``at`` by a unit in the last
    place; a time computed ahead should fall where one step at a time would have put it.
    """
    delay = at - now
    while now + delay < at:
        delay = math.nextafter(delay, math.inf)
    while now + delay > at:
        delay = math.nextafter(delay, -math.inf)
    return delay


def call_later(env: simpy.Environment, delay: float, callback: Callable[[], None]) -> None:
    """Call ``callback`` once, ``delay`` (>= 0) days from now: a SimPy timeout with one
    callback."""
    env.timeout(delay, callback).callbacks.append(_call_value)  # type: ignore[union-attr]


def _call_value(event: simpy.Event) -> None:
    callback: Callable[[], None] = event.value  # type: ignore[assignment]
    callback()


class Timer:
    """One pending callback that can be re-timed cheaply.

    A clock that must redraw its waiting time whenever its inputs change (the attack clock
    when the background rises, the posture clock when the propensity changes, the
    escalation dwell when the level moves) would otherwise be a SimPy process woken by
    ``Process.interrupt``, which costs an exception, an extra event and a generator resume
    each time. Here a new :meth:`set` simply makes the pending event stale: when a stale
    event fires its callback does nothing.
    """

    __slots__ = ("_env", "_version", "_fire")

    def __init__(self, env: simpy.Environment) -> None:
        self._env = env
        self._version = 0
        self._fire = self._fired  # one bound method, shared by every event it schedules

    def set(self, delay: float, callback: Callable[[], None]) -> None:
        """Call ``callback`` after ``delay`` (>= 0) days, unless set again or cancelled
        first."""
        self._version += 1
        # The timeout carries (version, callback) as its value: no closure per event.
        timeout = self._env.timeout(delay, (self._version, callback))
        timeout.callbacks.append(self._fire)  # type: ignore[union-attr]

    def _fired(self, event: simpy.Event) -> None:
        version, callback = event.value  # type: ignore[misc]  # set in set()
        if version == self._version:
            callback()

    def cancel(self) -> None:
        self._version += 1

    def dismantle(self) -> None:
        """Drop the bound method that ties the timer to itself (:meth:`World.dismantle`)."""
        del self._fire


class Redrawable:
    """A process that waits on a timeout and redraws when its inputs change.

    ``wake()`` interrupts the waiting process at most once until it has handled the
    interruption, so several changes at one instant cost one redraw, and a process is never
    interrupted by itself.
    """

    def __init__(self, world: World) -> None:
        self.world = world
        self.process: simpy.Process | None = None
        self._wake_pending = False

    def wake(self, cause: str = "") -> None:
        process = self.process
        if (
            process is None
            or self._wake_pending
            or not process.is_alive
            or process is self.world.env.active_process
        ):
            return
        self._wake_pending = True
        process.interrupt(cause)

    def woken(self) -> None:
        """Call when the process has caught its Interrupt."""
        self._wake_pending = False

    def dismantle(self) -> None:
        """Untie the process from the event it still waits on, which holds it as a callback
        (:meth:`World.dismantle`)."""
        process = self.process
        if process is not None and process.is_alive and process.target.callbacks:
            process.target.callbacks.clear()
        self.process = None


_TIED = (Timer, Redrawable)
"""What :meth:`World.dismantle` unties. A tuple made once: ``isinstance(value, Timer |
Redrawable)`` would build a union object for every attribute of every component."""
