# ruff: noqa: E501  (the cuts quote lines of the model as they are)
"""Cut each causal channel of the model and check that a channel test fails (docs/mutation.md).

For each cut (a one-place edit of the code that switches a channel off or changes its
formula), a forked child swaps the edited functions' code into the loaded modules and runs
the tests of ``tests/statistical/test_channels.py`` that should catch it; the source files
are never written. Prints one line per cut: CAUGHT when a test failed.

Usage: ``python tests/channel_cuts.py [WORDS ...]`` (only the cuts whose name contains one of
the words).
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
M = "model/"

# (name, file under src/drawdown_sim, text, replacement, pytest -k expression)
CUTS = [
    (
        "politics.on_strike returns at once",
        M + "politics.py",
        "        if not self.enabled:\n            return\n        self._new_segment()\n        cfg = self.cfg",
        "        return\n        self._new_segment()\n        cfg = self.cfg",
        "strike_raises_pressure",
    ),
    (
        "strike_weight dropped",
        M + "politics.py",
        "        self._value += getattr(cfg.strike_weight, strike.size)\n",
        "",
        "strike_raises_pressure",
    ),
    (
        "casualty_weight dropped",
        M + "politics.py",
        "        self._value += cfg.casualty_weight * strike.iraqi_killed\n",
        "",
        "strike_raises_pressure",
    ),
    (
        "half-life: ln2 -> 1",
        M + "politics.py",
        "self.decay = math.log(2.0) / self.cfg.half_life_days",
        "self.decay = 1.0 / self.cfg.half_life_days",
        "strike_raises_pressure",
    ),
    (
        "retaliation does not tell politics",
        M + "retaliation.py",
        "        world.politics.on_strike(strike)",
        "        pass",
        "strike_raises_pressure",
    ),
    (
        "on_escalation ignores the change",
        M + "politics.py",
        "        if self.enabled and crisis != self._crisis:",
        "        if False:",
        "escalation_change_moves_the_political_drift or drifts_up_only",
    ),
    (
        "crisis drift from war only (>= 3)",
        M + "politics.py",
        "        crisis = self.world.escalation.level >= 2\n        self._crisis = crisis",
        "        crisis = self.world.escalation.level >= 3\n        self._crisis = crisis",
        "drifts_up_only",
    ),
    (
        "threshold never accelerates",
        M + "politics.py",
        "            forces.accelerate(self.cfg.accelerate_factor)",
        "            pass",
        "accelerate_at",
    ),
    (
        "accelerate_at crossed only strictly (> not >=)",
        M + "politics.py",
        "self._value >= self.cfg.accelerate_at",
        "self._value > self.cfg.accelerate_at",
        "accelerate_at",
    ),
    (
        "acceleration factor ignored",
        M + "forces.py",
        "                movement[0] = now + (due - now) * factor - self.delay",
        "                movement[0] = due - self.delay",
        "accelerate_at",
    ),
    (
        "threshold never cancels",
        M + "politics.py",
        "            forces.cancel_option()",
        "            pass",
        "expel_at",
    ),
    (
        "expulsion keeps federal residual",
        M + "forces.py",
        "            self.residual[i] = 0",
        "            pass",
        "expelled",
    ),
    (
        "drift crossing time linearised",
        M + "politics.py",
        "crossing = -math.log((threshold - self._asymptote) / gap) / self.decay",
        "crossing = (threshold - self._value) / (self._asymptote * self.decay)",
        "exact_crossing",
    ),
    (
        "escalation.shift sign reversed",
        M + "escalation.py",
        "self._set(min(max(self.level + delta, 0), MAX_LEVEL), cause)",
        "self._set(min(max(self.level - delta, 0), MAX_LEVEL), cause)",
        "shift_moves",
    ),
    (
        "escalation.shift ignores enabled",
        M + "escalation.py",
        '    def shift(self, delta: int, cause: str) -> None:\n        """Raise (or lower, for delta < 0) the level by ``delta``, capped to 0..3."""\n        if not self.enabled:\n            return',
        '    def shift(self, delta: int, cause: str) -> None:\n        """Raise (or lower, for delta < 0) the level by ``delta``, capped to 0..3."""',
        "nothing_moves_the_level",
    ),
    (
        "strike never bumps escalation",
        M + "retaliation.py",
        '            world.escalation.shift(+1, f"US strike {strike.id}")',
        "            pass",
        "strike_raises_escalation or strikes_raise_escalation",
    ),
    (
        "bump probability complemented",
        M + "retaliation.py",
        "if u_escalation < self.cfg.escalation_bump:",
        "if u_escalation >= self.cfg.escalation_bump:",
        "strikes_raise_escalation",
    ),
    (
        "dwell of the level below",
        M + "escalation.py",
        "dwell = self._dwell_days[self.level]",
        "dwell = self._dwell_days[self.level - 1]",
        "steps_down",
    ),
    (
        "dwell steps down two levels",
        M + "escalation.py",
        'self._set(self.level - 1, "dwell ended")',
        'self._set(max(self.level - 2, 0), "dwell ended")',
        "steps_down",
    ),
    (
        "random shocks switched off",
        M + "escalation.py",
        "count = int(rng.poisson(rate * self.world.horizon)) if rate > 0 else 0",
        "count = 0",
        "random_shock or random_shocks_move",
    ),
    (
        "shock count over the window, not the horizon",
        M + "escalation.py",
        "count = int(rng.poisson(rate * self.world.horizon)) if rate > 0 else 0",
        "count = int(rng.poisson(rate * self.world.window_days)) if rate > 0 else 0",
        "random_shock_count",
    ),
    (
        "severity mix reversed",
        M + "escalation.py",
        "severity = 1 if u_severity < minor else 2 if u_severity < serious else 3",
        "severity = 3 if u_severity < minor else 2 if u_severity < serious else 1",
        "random_shock_count",
    ),
    (
        "shocks.enabled ignored",
        M + "escalation.py",
        "        if not cfg.enabled:\n            return []\n",
        "",
        "without_random_shocks",
    ),
    (
        "shocks do not reach the militia",
        M + "escalation.py",
        "                self.world.militia.on_shock(severity)",
        "                pass",
        "dated_shocks",
    ),
    (
        "shock does not set the level",
        M + "escalation.py",
        "        self._set(level_after_shock(self.level, severity), cause)",
        "        pass",
        "dated_shocks or random_shocks_move",
    ),
    (
        "casualty strike size swapped",
        M + "retaliation.py",
        '"large" if killed else "small"',
        '"small" if killed else "large"',
        "casualty_attack_brings",
    ),
    (
        "casualty strikes never",
        M + "retaliation.py",
        "            if u < chance:",
        "            if False:",
        "casualty_attack_brings",
    ),
    (
        "casualty strikes always",
        M + "retaliation.py",
        "            if u < chance:",
        "            if True:",
        "without_casualties",
    ),
    (
        "strike delays swapped",
        M + "retaliation.py",
        "delay = cfg.delay_days.killed if killed else cfg.delay_days.wounded",
        "delay = cfg.delay_days.wounded if killed else cfg.delay_days.killed",
        "strike_delays",
    ),
    (
        "Iraqi deaths of a small strike for every size",
        M + "retaliation.py",
        "mean_killed = getattr(self.cfg.iraqi_killed, size)",
        'mean_killed = getattr(self.cfg.iraqi_killed, "small")',
        "strike_delays",
    ),
    (
        "volume window ignored",
        M + "retaliation.py",
        "while now - recent[0] > window:",
        "while False:",
        "volume",
    ),
    (
        "volume count not reset",
        M + "retaliation.py",
        "            recent.clear()  # the rule looks at the next k attacks afresh",
        "            pass",
        "volume",
    ),
    (
        "escalation multiplier left out of the background",
        M + "militia.py",
        "background = self._mu[self.posture] * self.world.escalation.multiplier * exposure",
        "background = self._mu[self.posture] * exposure",
        "background_is",
    ),
    (
        "posture left out of the background",
        M + "militia.py",
        "background = self._mu[self.posture] * self.world.escalation.multiplier * exposure",
        "background = self._mu['restraint'] * self.world.escalation.multiplier * exposure",
        "background_is",
    ),
    (
        "strikes provoke nothing",
        M + "militia.py",
        "                + self.rho * self.gamma\n",
        "                + 0.0\n",
        "provokes",
    ),
    (
        "attacks excite nothing",
        M + "militia.py",
        "            self._excitation = decayed + n_beta",
        "            self._excitation = decayed",
        "excites or hawkes_mean",
    ),
    (
        "shocks raise no campaign hazard",
        M + "militia.py",
        "        self._raise(self.world.scenario.militia.shock_hazard.at(severity))",
        "        pass",
        "campaign_hazard_is",
    ),
    (
        "strike deaths raise no campaign hazard",
        M + "militia.py",
        "self.world.scenario.militia.killed_hazard * strike.iraqi_killed",
        "0.0 * strike.iraqi_killed",
        "campaign_hazard_is",
    ),
    (
        "timetable factor left out",
        M + "militia.py",
        "        return raised * timetable * self._escalation_factor[world.escalation.level]",
        "        return raised * self._escalation_factor[world.escalation.level]",
        "campaign_hazard_is or timetable_state",
    ),
    (
        "escalation factor left out",
        M + "militia.py",
        "        return raised * timetable * self._escalation_factor[world.escalation.level]",
        "        return raised * timetable",
        "campaign_hazard_is",
    ),
    (
        "shock effect never ends (shock_days)",
        M + "militia.py",
        "        call_later(env, end - env.now, lambda: self._lower(entry))",
        "        pass",
        "campaign_hazard_is",
    ),
    (
        "talks ignored in the timetable state",
        M + "forces.py",
        'return "negotiating" if self.world.scenario.drawdown.talks else "none"',
        'return "none"',
        "timetable_state",
    ),
    (
        "holding is not slipping",
        M + "forces.py",
        '        if self._holding or self.delay > TIME_EPSILON:\n            return "slipping"',
        '        if False:\n            return "slipping"',
        "held_plan",
    ),
    (
        "switch time off by 2 (budget / 2h)",
        M + "militia.py",
        "max(self._budget - self._spent, 0.0) / self._hazard, self._switch_now",
        "max(self._budget - self._spent, 0.0) / self._hazard * 2, self._switch_now",
        "posture_spells",
    ),
    (
        "campaign ends at the campaign hazard",
        M + "militia.py",
        "hazard = cfg.restraint_hazard_per_day if campaign else self.campaign_hazard()",
        "hazard = cfg.campaign_hazard_per_day if campaign else self.campaign_hazard()",
        "posture_spells",
    ),
    (
        "any strike may end a campaign",
        M + "militia.py",
        '            and strike.size == "large"\n',
        "",
        "large_strike_ends",
    ),
    (
        "restraint_on_strike complemented",
        M + "militia.py",
        "            and uniform < chance",
        "            and uniform >= chance",
        "large_strike_ends",
    ),
    (
        "dated postures ignored",
        M + "militia.py",
        '            self.set_posture(change.posture, f"scheduled: {change.name}")',
        "            pass",
        "dated_posture",
    ),
    (
        "movements add no exposure",
        M + "forces.py",
        "            targets.append((movement_name[site], per_person * size, 0.0))",
        "            pass",
        "movement_adds",
    ),
    (
        "a leaving site keeps its exposure",
        M + "forces.py",
        "        self._site_targets[site] = self._site_target(site)\n        self._transit",
        "        self._transit",
        "movement_adds",
    ),
    (
        "exposure exponent ignored",
        M + "forces.py",
        "weight = self._propensity[i] * p**self._exponent if p > 0 else 0.0",
        "weight = self._propensity[i] * p if p > 0 else 0.0",
        "movement_adds",
    ),
    (
        "exposure not refreshed at arrival",
        M + "forces.py",
        "        del self._transit[movement]\n        self.world.log.trajectories.personnel.append((self.world.now, self.total))\n        self._refresh_exposure()",
        "        del self._transit[movement]\n        self.world.log.trajectories.personnel.append((self.world.now, self.total))",
        "movement_adds or nobody_left",
    ),
    (
        "attacks with nobody left",
        M + "militia.py",
        "        exposed = exposure != 0.0  # no intensity at all without anyone to attack",
        "        exposed = True",
        "nobody_left",
    ),
    (
        "hold at escalation ignored",
        M + "forces.py",
        "and self.world.escalation.level >= hold",
        "and False",
        "held",
    ),
    (
        "a hold is not woken when escalation drops",
        M + "forces.py",
        '            self._clock.wake("escalation")',
        "            pass",
        "held_at_war_slips",
    ),
    (
        "max_slip_days cap ignored",
        M + "forces.py",
        "yield env.timeout(cfg.max_slip_days - self.delay)",
        "yield env.event()",
        "held_throughout",
    ),
    (
        "air defence ignored",
        M + "damage.py",
        "intercepted = u_intercept < air_defense * self._weapon_factor[weapon]",
        "intercepted = u_intercept < self._weapon_factor[weapon]",
        "interception",
    ),
    (
        "hit probability ignored",
        M + "damage.py",
        "if intercepted or u_hit >= self._hit:",
        "if intercepted:",
        "interception",
    ),
    (
        "killed fraction ignored",
        M + "damage.py",
        "killed = rng.binomial(casualties, self._killed_fraction)",
        "killed = rng.binomial(casualties, 0.01)",
        "interception",
    ),
    (
        "every site has the same air defence",
        M + "forces.py",
        "        return (site.name, weight, site.air_defense)",
        "        return (site.name, weight, 0.6)",
        "intercepted_at_the_attacked",
    ),
    (
        "ISIS sensitivity ignored",
        M + "isis.py",
        "    rate *= k\n",
        "    rate *= 0.0\n",
        "superset or integrated_rate",
    ),
    (
        "capacity lag ignored",
        M + "isis.py",
        "    rate /= -tau\n",
        "    rate /= -1e-9\n",
        "integrated_rate",
    ),
    (
        "capacity rate() formula without sensitivity",
        M + "isis.py",
        "return self.base * (1.0 + self.sensitivity * (1.0 - self.capacity(t)))",
        "return self.base * (1.0 + (1.0 - self.capacity(t)))",
        "capacity_relaxes",
    ),
    (
        "option's mission never applied",
        M + "forces.py",
        'self.world.scenario.advisory.mission if self.option_active else "counter_terrorism"',
        '"counter_terrorism"',
        "support_weighs",
    ),
    (
        "region weight ignored",
        M + "forces.py",
        "total += region * (kept_weight",
        "total += (kept_weight",
        "support_weighs",
    ),
    (
        "full_support_personnel ignored",
        M + "isis.py",
        "return min(1.0, self.world.forces.support() / full)",
        "return min(1.0, self.world.forces.support() / 1500.0)",
        "support_weighs",
    ),
    (
        "capacity not told of movements",
        M + "forces.py",
        "        self._refresh_exposure()\n        self.world.isis.on_presence_change()\n",
        "        self._refresh_exposure()\n",
        "superset or capacity_relaxes",
    ),
    (
        "bootstrap bins: numpy's default of 10",
        "analysis/comparison.py",
        "counts, edges = np.histogram(d, bins=BOOTSTRAP_BINS, range=(low, high))",
        "counts, edges = np.histogram(d, range=(low, high))",
        "binned_bootstrap",
    ),
    (
        "a propensity change never retimes the switch",
        M + "militia.py",
        '        if self.switching and self._started and self.posture == "restraint":\n            self._retime_switch()',
        "        pass",
        "retimes",
    ),
    (
        "cancelling after the drawdown starts no clock",
        M + "forces.py",
        "        if self._clock.process is None or not self._clock.process.is_alive:",
        "        if self._clock.process is None:",
        "cancelled_after",
    ),
]


def _swap(old: object, new: object) -> None:
    if isinstance(old, types.FunctionType) and isinstance(new, types.FunctionType):
        old.__code__ = new.__code__


def _patch(module: types.ModuleType, namespace: dict[str, object]) -> None:
    """Give the loaded module's functions and methods the edited code, in place, so that
    every reference to them (``from .x import y`` included) runs the edit."""
    for name, obj in namespace.items():
        old = module.__dict__.get(name)
        if isinstance(obj, type) and isinstance(old, type):
            for attr, value in vars(obj).items():
                previous = vars(old).get(attr)
                if isinstance(value, property) and isinstance(previous, property):
                    _swap(previous.fget, value.fget)
                elif isinstance(value, staticmethod | classmethod) and previous is not None:
                    _swap(previous.__func__, value.__func__)  # type: ignore[union-attr]
                else:
                    _swap(previous, value)
        else:
            _swap(old, obj)


def main(words: list[str]) -> int:
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    import pytest

    import drawdown_sim.analysis.comparison  # noqa: F401
    import drawdown_sim.model.simulate  # noqa: F401

    missed = 0
    out = Path(tempfile.mkdtemp(prefix="channel_cuts_"))
    for index, (name, rel, old, new, k) in enumerate(CUTS):
        if words and not any(w in name for w in words):
            continue
        module_name = "drawdown_sim." + rel[:-3].replace("/", ".")
        module = importlib.import_module(module_name)
        source = Path(str(module.__file__)).read_text()
        if source.count(old) != 1:
            sys.stdout.write(f"NOT APPLIED  {name}: the text to cut is not found once\n")
            missed += 1
            continue
        log = out / f"{index}.txt"
        pid = os.fork()
        if pid == 0:  # the child: edit, test, exit with pytest's status
            namespace = {"__name__": module_name, "__package__": module.__package__}
            exec(compile(source.replace(old, new), str(module.__file__), "exec"), namespace)
            _patch(module, namespace)
            fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            test = "tests/statistical/test_channels.py"
            options = ["-q", "-x", "-p", "no:randomly", "-p", "no:cacheprovider", "-o", "addopts="]
            os._exit(int(pytest.main([*options, test, "-k", k])))
        _, status = os.waitpid(pid, 0)
        caught = os.waitstatus_to_exitcode(status) == 1
        failed = [
            line.split(" ")[1] for line in log.read_text().splitlines() if line.startswith("FAILED")
        ]
        missed += not caught
        sys.stdout.write(f"{'CAUGHT  ' if caught else 'MISSED  '} {name}: {', '.join(failed)}\n")
        sys.stdout.flush()
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
