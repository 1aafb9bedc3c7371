"""What a report says: tables and plain-words answers, built only from computed numbers."""

from __future__ import annotations

import math
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from ...model import OUTCOME_SPECS

if TYPE_CHECKING:
    import pandas as pd

    from ...analysis.comparison import Comparison
    from ...analysis.completion import CompletionSummary, Estimate
    from ...analysis.results import Results
    from ...analysis.sweeps import Gap, Sweep
    from ...scenario import Scenario

LABELS = {
    "attacks": "militia attacks",
    "attacks_intercepted": "attacks intercepted",
    "killed": "coalition killed",
    "wounded": "coalition wounded",
    "mass_casualty_events": "mass-casualty attacks",
    "us_strikes": "US strikes",
    "campaign_days": "days of militia campaign",
    "crisis_days": "days at crisis or war",
    "max_escalation": "highest escalation level",
    "drawdown_complete": "P(complete by the window end)",
    "completion_day": "completion day",
    "completion_censored": "P(unfinished at the horizon)",
    "completed_on_time": "P(complete by the planned end)",
    "slip_days": "slip (days)",
    "accelerated": "P(timetable accelerated)",
    "option_cancelled": "P(option cancelled)",
    "plan_extended": "P(plan extended by negotiation)",
    "plan_reversed": "P(plan reversed to a residual presence)",
    "residual_personnel": "personnel at the window end",
    "political_pressure_peak": "peak political pressure",
    "isis_attacks": "ISIS attacks",
    "isis_resurgence": "P(ISIS resurgence)",
    "isis_rate_ratio": "ISIS rate / window-start rate",
}


def completion_dates(results: Any) -> str:
    """'planned 2025-09-15; 10% complete by ..., half by ..., 90% by ...' from the
    Kaplan-Meier curve (a quantile the curve never reaches is 'beyond the horizon')."""
    from datetime import timedelta

    import numpy as np

    scenario = results.scenario
    curve = results.completion().curve
    start = scenario.window.start
    planned = start + timedelta(days=float(scenario.planned_end_day))
    parts = []
    for q, text in ((0.1, "10% complete by"), (0.5, "half by"), (0.9, "90% by")):
        reached = np.flatnonzero(np.asarray(curve.cdf) >= q - 1e-12)
        when = (
            f"{start + timedelta(days=float(curve.days[reached[0]])):%Y-%m-%d}"
            if reached.size
            else "beyond the horizon"
        )
        parts.append(f"{text} {when}")
    return f"planned end {planned:%Y-%m-%d}; " + ", ".join(parts)


def label(outcome: str) -> str:
    """A readable outcome label, "(follow-on)" for the follow-on's columns."""
    base = outcome.removesuffix("_follow_on")
    text = LABELS.get(base, base.replace("_", " "))
    return f"{text} (follow-on)" if base != outcome else text


def number(value: Any) -> str:
    from ...common.numbers import number as fmt

    try:
        return fmt(float(value))
    except (TypeError, ValueError):
        return str(value)


def signed(value: Any) -> str:
    from ...common.numbers import signed as fmt

    return fmt(float(value))


def _percent(value: float) -> str:
    from ...common.numbers import percent

    return percent(value)


# --- assumptions ----------------------------------------------------------------------------
def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def field_description(model: type[BaseModel], dotted: str) -> str:
    """The schema description of a dotted key (list indices skipped), or "" if unknown."""
    description, parent = "", ""
    current: type[BaseModel] | None = model
    from ...scenario.schema import key_parts

    for part in key_parts(dotted):
        if current is None:
            return ""
        if part.isdigit() or part.startswith("["):
            continue
        field = current.model_fields.get(part)
        if field is None:
            by_alias = [f for f in current.model_fields.values() if f.alias == part]
            if not by_alias:
                return ""
            field = by_alias[0]
        parent, description = description, field.description or ""
        current = _model_of(field.annotation)
    if len(description) < 40 and parent:  # a generic leaf ("Severity 3."): say what it is of
        return f"{parent} ({description.rstrip('.')})"
    return description


def assumptions(scenario: Scenario) -> list[dict[str, str]]:
    """Each uncertain parameter: value in this scenario, range swept, source or assumption."""
    from ...scenario import Scenario as Model
    from ...scenario.schema import get_dotted

    data = scenario.to_data()
    rows = []
    for key, distribution in scenario.ranges.items():
        if distribution.triangular is not None:
            lo, mode, hi = distribution.triangular
            spread = f"{number(lo)} to {number(hi)} (mode {number(mode)})"
        else:
            support = distribution.support
            spread = (
                f"{number(support[0])} to {number(support[-1])}"
                if distribution.uniform is not None
                else ", ".join(number(v) for v in support)
            )
        rows.append(
            {
                "key": key,
                "value": number(get_dotted(data, key)),
                "range": spread,
                "source": field_description(Model, key),
            }
        )
    from ...scenario.posterior import describe

    posterior = describe(scenario)
    if posterior is not None:
        rows.append(
            {
                "key": "uncertainties.from_posterior",
                "value": posterior["name"],
                "range": f"{posterior['draws']} weighted draws (effective sample size "
                f"{posterior['ess']:.0f}) of {len(posterior['parameters'])} parameters",
                "source": "Posterior used: each replication runs at one whole draw of "
                f"{posterior['name']} (drawdown-sim estimate on the 2019-2024 record): "
                + ", ".join(posterior["parameters"]),
            }
        )
    return rows


# --- tables ---------------------------------------------------------------------------------
def _table(
    id_: str,
    title: str,
    columns: list[str],
    rows: list[list[str]],
    note: str = "",
    text_columns: int = 1,
) -> dict[str, Any]:
    return {
        "id": id_,
        "title": title,
        "columns": columns,
        "rows": rows,
        "note": note,
        "text_columns": text_columns,
    }


def _estimate(e: Estimate, percent: bool = False) -> str:
    from ...common.numbers import estimate

    return estimate(e.value, e.low, e.high, reached=e.reached, percent=percent)


def _completion_rows(runs: dict[str, Any]) -> list[list[str]]:
    """One row per option with a plan: the completion shares, medians, and the completion
    dates against the planned end."""
    rows = []
    for name, results in runs.items():
        c: CompletionSummary = results.completion()
        if not c.has_plan:  # completion means nothing without a plan
            rows.append([name, *["n/a"] * 5, "no plan"])
            continue
        dates = completion_dates(results)
        rows.append(
            [
                name,
                _estimate(c.by_planned_end, True),
                _estimate(c.by_window_end, True),
                _estimate(c.censored, True),
                _estimate(c.median_day),
                _estimate(c.median_slip),
                dates,
            ]
        )
    return rows


COMPLETION_COLUMNS = [
    "option",
    "complete by planned end",
    "complete by window end",
    "unfinished at the horizon",
    "median completion day",
    "median slip (days)",
    "completion dates against the planned end",
]
COMPLETION_NOTE = (
    "95% intervals (Wilson for shares). Medians are Kaplan-Meier estimates with plans "
    "unfinished at the end of the horizon censored there; 'not reached' means too many are "
    "unfinished to say. Days count from the window start."
)


def run_tables(results: Results) -> list[dict[str, Any]]:
    summary = results.summary()
    tables = []
    for period, keep in (
        ("the drawdown window", lambda n: not n.endswith("_follow_on")),
        ("the follow-on period", lambda n: n.endswith("_follow_on")),
    ):
        rows = []
        for name, row in summary.iterrows():
            if not keep(str(name)):
                continue
            spec = OUTCOME_SPECS[str(name)]
            censored = row.get("censored", 0.0) or 0.0
            mean = "censored" if censored and row["mean"] != row["mean"] else number(row["mean"])
            low, high = row.get("mean_lo", math.nan), row.get("mean_hi", math.nan)
            rows.append(
                [
                    label(str(name)),
                    spec.description,
                    spec.unit or "share" if spec.kind == "bool" else spec.unit,
                    mean,
                    "" if low != low else f"{number(low)} to {number(high)}",
                    number(row["median"]) if row["median"] == row["median"] else "not reached",
                    number(row["q05"]),
                    number(row["q95"]) if row["q95"] == row["q95"] else "not reached",
                    _share(row, "p_positive"),
                    _percent(censored) if censored else "",
                ]
            )
        if rows:
            tables.append(
                _table(
                    "outcomes-" + period.split()[-1],
                    f"Outcomes over {period}",
                    [
                        "outcome",
                        "meaning",
                        "unit",
                        "mean",
                        "mean's 95% CI",
                        "median",
                        "5%",
                        "95%",
                        "P(>0) [95% CI]",
                        "censored",
                    ],
                    rows,
                    "Quantiles of counts are counts that occur (never interpolated). For "
                    "yes/no outcomes the mean is the share of replications. The mean's interval "
                    "is its Monte Carlo error over the replications (Wilson's for a share, "
                    "normal otherwise), as is P(>0)'s (Wilson's); the 5% and 95% columns are "
                    "the spread of outcomes.",
                    text_columns=3,
                )
            )
    if results.scenario.planned_end_day is not None:
        tables.append(
            _table(
                "completion",
                "Drawdown completion",
                COMPLETION_COLUMNS,
                _completion_rows({results.name: results}),
                COMPLETION_NOTE,
            )
        )
    return tables


def _with_bracket(text: str, row: pd.Series, name: str, show: Callable[[Any], str]) -> str:
    """``text`` followed by the 95% interval ``name_lo``, ``name_hi`` in brackets, if any."""
    from ...common.numbers import with_interval

    return with_interval(
        text, row.get(f"{name}_lo", math.nan), row.get(f"{name}_hi", math.nan), show
    )


def _share(row: pd.Series, name: str) -> str:
    """'62% [59, 65]': a share with its 95% Wilson interval, in percent."""
    from ...common.numbers import share

    return share(row[name], row.get(f"{name}_lo", math.nan), row.get(f"{name}_hi", math.nan))


def _difference(row: pd.Series) -> str:
    from ...common.numbers import difference

    return difference(row["diff_mean"], row["diff_lo"], row["diff_hi"])


def _mean(row: pd.Series, censored: float) -> str:
    """'23.4 [13.9, 32.8]': an option's mean with its 95% interval over the replications."""
    if row["mean"] != row["mean"]:
        return "censored" if censored else "-"
    return _with_bracket(number(row["mean"]), row, "mean", number)


def compare_tables(comparison: Comparison) -> list[dict[str, Any]]:
    t = comparison.table
    rows = []
    for _, row in t.iterrows():
        is_ref = row["option"] == comparison.reference
        censored = row.get("censored", 0.0) or 0.0
        if row["mean"] != row["mean"] and not censored:
            rows.append(
                [
                    label(str(row["outcome"])),
                    str(row["option"]),
                    "n/a",
                    "n/a",
                    "n/a",
                    "",
                    "",
                    "",
                    "",
                ]
            )
            continue
        if is_ref:
            diff = "reference"
        elif row["diff_mean"] != row["diff_mean"]:
            diff = "censored: see completion" if censored else "-"
        else:
            diff = _difference(row)
        rows.append(
            [
                label(str(row["outcome"])),
                str(row["option"]),
                _mean(row, censored),
                f"{number(row['q05'])} to "
                + ("not reached" if row["q95"] != row["q95"] else number(row["q95"])),
                diff,
                "" if is_ref else _share(row, "p_better"),
                "" if is_ref else _share(row, "p_worse"),
                "" if is_ref else _share(row, "p_tie"),
                ""
                if is_ref or row["variance_reduction"] != row["variance_reduction"]
                else (
                    "no variance"
                    if math.isinf(row["variance_reduction"])
                    else f"{row['variance_reduction']:.1f}x"
                ),
            ]
        )
    return [
        _table(
            "paired",
            f"Paired differences against {comparison.reference}",
            [
                "outcome",
                "option",
                "mean [95% CI]",
                "90% interval",
                "difference [95% CI]",
                "P(better)",
                "P(worse)",
                "P(tie)",
                "variance reduction",
            ],
            rows,
            "Replication r of every option meets the same shocks and random draws (common "
            "random numbers), so differences are paired. P(better), P(worse) and P(tie) are "
            "the shares of paired replications where the option is better, worse or the same "
            "(better means fewer, for a bad outcome), each with its 95% Wilson interval in "
            "brackets. The variance reduction is what pairing buys against independent runs.",
            text_columns=2,
        ),
        _table(
            "completion",
            "Drawdown completion",
            COMPLETION_COLUMNS,
            _completion_rows(
                {
                    name: r
                    for name, r in comparison.results.items()
                    if r.scenario.planned_end_day is not None
                }
            )
            + [
                [name, *["n/a"] * (len(COMPLETION_COLUMNS) - 1)]
                for name, r in comparison.results.items()
                if r.scenario.planned_end_day is None
            ],
            COMPLETION_NOTE + " n/a: the option has no plan to complete.",
        ),
    ]


def sweep_tables(result: Sweep) -> list[dict[str, Any]]:
    regret = [
        [
            label(str(r["outcome"])),
            str(r["option"]),
            _with_bracket(number(r["mean"]), r, "mean", number),
            number(r["regret_mean"]),
            f"{number(r['regret_lo'])} to {number(r['regret_hi'])}",
            number(r["regret_p90"]),
            _share(r.rename({"best_in_states": "best_in"}), "best_in"),
        ]
        for _, r in result.regret.iterrows()
    ]
    satisficing = [
        [
            str(r["option"]),
            _percent(r["satisficing_fraction"]),
            f"{_percent(r['satisficing_lo'])} to {_percent(r['satisficing_hi'])}",
        ]
        for _, r in result.satisficing.iterrows()
    ]
    sensitivity = []
    has_total = "ST" in result.sensitivity.columns
    hidden = 0
    for _, r in result.sensitivity.iterrows():
        s1, conf = float(r["S1"]), float(r["S1_conf"])
        if s1 != s1:  # not estimable: hidden, and counted in the table's note
            hidden += 1
            continue
        total = (
            f"{float(r['ST']):.2f} +- {float(r['ST_conf']):.2f}"
            if has_total and r["ST"] == r["ST"]
            else "-"
        )
        if s1 != s1:
            verdict = "not estimable (too few states or a constant outcome)"
        elif s1 - conf > 0:
            verdict = "yes"
        else:
            verdict = "no: the interval includes zero"
        sensitivity.append(
            [
                label(str(r["outcome"])),
                str(r["option"]),
                str(r["parameter"]),
                "-" if s1 != s1 else f"{s1:.2f} +- {conf:.2f}",
                *([total] if has_total else []),
                verdict,
            ]
        )
    method = result.sensitivity.attrs.get("method", "RBD-FAST first-order")
    return [
        _table(
            "regret",
            "Regret against the best option in each state",
            [
                "outcome",
                "option",
                "mean across states [95% CI]",
                "mean regret",
                "95% interval",
                "90th percentile regret",
                "best in [95% CI]",
            ],
            regret,
            "Regret: how much worse the option is than the best option in the same state. "
            "The intervals of means are bootstraps over the states (each state's outcome is "
            "itself a mean over its replications, so both sources of noise are in them). "
            "'Best in' is the share of states where the option is best, ties counting for "
            "every tied option, with its Wilson interval.",
            text_columns=2,
        ),
        _table(
            "satisficing",
            "Satisficing",
            ["option", "share of states meeting every threshold", "95% interval (Wilson)"],
            satisficing,
        ),
        _table(
            "sensitivity",
            f"Sensitivity ({method} index with its 95% half-width)",
            [
                "outcome",
                "option",
                "parameter",
                "index",
                *(["total index"] if has_total else []),
                "distinguishable from zero?",
            ],
            sensitivity,
            "An index whose interval includes zero is not evidence that the parameter matters; "
            "no parameter is called influential on such an index."
            + (
                f" {hidden} rows that cannot be estimated (too few states, or an outcome that "
                "does not vary or does not apply) are not shown."
                if hidden
                else ""
            ),
            text_columns=3,
        ),
        *decision_tables(result),
    ]


def decision_tables(result: Sweep) -> list[dict[str, Any]]:
    """The sweep's decision tables: weighted score and regret, the Pareto set's paired
    differences, what flips the ranking, and the value of information."""
    tables = []
    if result.weighted is not None and len(result.weighted):
        rows = [
            [
                str(r["option"]),
                _with_bracket(number(r["score"]), r, "score", number),
                _with_bracket(number(r["regret"]), r, "regret", number),
                number(r["regret_p90"]),
                _share(r, "best_in"),
            ]
            for _, r in result.weighted.iterrows()
        ]
        weights = ", ".join(f"{k} {number(v)}" for k, v in result.study.weights.items())
        tables.append(
            _table(
                "weighted",
                "Weighted score and regret",
                [
                    "option",
                    "weighted score [95% CI]",
                    "mean regret [95% CI]",
                    "90th percentile regret",
                    "best in [95% CI]",
                ],
                rows,
                f"Weights: {weights}. Score: the weighted sum of the judged outcomes' means "
                "in a state (lower is better), averaged over the states; regret: the score "
                "less the best option's in the same state. Intervals are bootstraps over the "
                "states.",
            )
        )
    if result.differences is not None and len(result.differences):
        d = result.differences
        rows = [
            [
                str(r["first"]),
                str(r["second"]),
                label(str(r["column"]).removesuffix("_both"))
                + (" (window + follow-on)" if str(r["column"]).endswith("_both") else ""),
                f"{signed(r['difference'])} [{signed(r['low'])}, {signed(r['high'])}]",
                str(r["verdict"]),
            ]
            for _, r in d.iterrows()
            if str(r["first"]) < str(r["second"])
        ]
        tables.append(
            _table(
                "pareto-differences",
                "Paired differences behind the Pareto set",
                ["option", "against", "outcome", "difference [95% CI]", "option is"],
                rows,
                "Mean over the states of the option's outcome less the other's, with its 95% "
                "bootstrap interval. An option is dominated only by one that is distinguishably "
                "better on some outcome and distinguishably worse on none.",
                text_columns=3,
            )
        )
    if result.flips is not None and len(result.flips):
        rows = [
            [
                str(r["first"]),
                str(r["second"]),
                str(r["judged_on"]),
                str(r["sentence"]),
                "-"
                if r["held_out_density"] != r["held_out_density"]
                else f"{r['held_out_coverage']:.0%} / {r['held_out_density']:.0%}",
            ]
            for _, r in result.flips.iterrows()
        ]
        tables.append(
            _table(
                "flips",
                "What flips the ranking (PRIM)",
                ["option", "against", "judged on", "when", "held-out coverage / density"],
                rows,
                "PRIM (EMA Workbench) finds the box of parameter values where the option that "
                "wins in fewer states wins. Coverage: the share of those states inside the box; "
                "density: the share of the box's states that are such; both on states the box "
                "was not found on.",
                text_columns=4,
            )
        )
    voi = result.value_of_information
    if voi is not None and len(voi):
        rows = [
            [
                str(r["judged_on"]),
                str(r["parameter"]),
                f"{number(r['evppi'])} [{number(r['low'])}, {number(r['high'])}]",
                number(r["strong_oakley"]),
                "yes" if bool(r["decisive"]) else "no: the interval includes zero",
            ]
            for _, r in voi.iterrows()
        ]
        tables.append(
            _table(
                "value-of-information",
                "What is worth learning first (expected value of partial perfect information)",
                [
                    "judged on",
                    "parameter",
                    "EVPPI [95% CI]",
                    "in-sample Strong-Oakley",
                    "worth learning?",
                ],
                rows,
                "How much lower the expected loss would be if the parameter were known before "
                "choosing. Regression method of Strong, Oakley and Brennan (2014) with a "
                "one-variable spline model (scikit-learn), cross-fitted over five folds so "
                "that a parameter without effect has an interval that includes zero; the "
                "in-sample figure is never below zero and flatters every parameter.",
                text_columns=2,
            )
        )
    return tables


# --- answers in words -----------------------------------------------------------------------
def _mean_and_interval(summary: pd.DataFrame, outcome: str) -> str:
    row = summary.loc[outcome]
    interval = (
        f"95% CI {number(row['mean_lo'])} to {number(row['mean_hi'])}; "
        if "mean_lo" in row and row["mean_lo"] == row["mean_lo"]
        else ""
    )
    return (
        f"{number(row['mean'])} ({interval}90% of runs between {number(row['q05'])} and "
        f"{number(row['q95'])})"
    )


def run_answer(results: Results) -> list[str]:
    if results.replications == 0:
        return [
            "Every replication failed, so there is nothing to summarise: the manifest lists "
            "each failure with its seed and reason."
        ]
    summary = results.summary()
    share: dict[Any, Any] = summary.loc["isis_resurgence"].to_dict()
    low, high = share.get("mean_lo", math.nan), share.get("mean_hi", math.nan)
    resurgence = _percent(float(share["mean"])) + (
        f" (95% CI {_percent(low)} to {_percent(high)})" if low == low else ""
    )
    lines = [
        f"Over the drawdown window, militia attacks on coalition sites average "
        f"{_mean_and_interval(summary, 'attacks')}; coalition killed "
        f"{_mean_and_interval(summary, 'killed')} and wounded "
        f"{_mean_and_interval(summary, 'wounded')}.",
        f"ISIS attacks on Iraqi forces average {_mean_and_interval(summary, 'isis_attacks')}; "
        f"a resurgence occurs in {resurgence} of runs.",
    ]
    if "attacks_follow_on" in summary.index:
        lines.append(
            f"In the follow-on period: militia attacks "
            f"{_mean_and_interval(summary, 'attacks_follow_on')}, ISIS attacks "
            f"{_mean_and_interval(summary, 'isis_attacks_follow_on')}."
        )
    if results.scenario.planned_end_day is not None:
        c = results.completion()
        lines.append(
            f"The drawdown completes by its planned end in {_estimate(c.by_planned_end, True)} "
            f"of runs and by the window end in {_estimate(c.by_window_end, True)}; "
            f"{_estimate(c.censored, True)} are unfinished at the end of the horizon. "
            f"Completion dates: {completion_dates(results)} (Kaplan-Meier); a negotiated "
            f"extension moves the plan in {_mean_share(summary, 'plan_extended')} of runs "
            f"and a reversal to a residual presence ends it in "
            f"{_mean_share(summary, 'plan_reversed')}."
        )
    return lines


def _mean_share(summary: pd.DataFrame, outcome: str) -> str:
    """The mean of a yes/no outcome as a percentage ('n/a' when the column is absent)."""
    if outcome not in summary.index:
        return "n/a"
    value: Any = summary.loc[outcome, "mean"]
    return _percent(float(value))


def _phrase(row: pd.Series, what: str, period: str) -> str:
    """'12.3 fewer militia attacks [95% CI 10.1 to 14.2] in the window', or no difference."""
    lo, hi, d = float(row["diff_lo"]), float(row["diff_hi"]), float(row["diff_mean"])
    if lo <= 0.0 <= hi:
        return (
            f"no distinguishable difference in {what} {period} (95% CI {signed(lo)} to "
            f"{signed(hi)})"
        )
    if what.startswith("P("):
        word = "higher" if d > 0 else "lower"
        return (
            f"a {number(abs(d) * 100)}-point {word} {what} {period} [95% CI "
            f"{number(abs(lo) * 100 if d > 0 else abs(hi) * 100)} to "
            f"{number(abs(hi) * 100 if d > 0 else abs(lo) * 100)}]"
        )
    word = "more" if d > 0 else "fewer"
    near, far = (lo, hi) if d > 0 else (-hi, -lo)
    return f"{number(abs(d))} {word} {what} [95% CI {number(near)} to {number(far)}] {period}"


def compare_answer(comparison: Comparison) -> list[str]:
    t = comparison.table
    lines = []
    for option in comparison.options:
        if option == comparison.reference:
            continue
        rows = t[t["option"] == option].set_index("outcome")
        parts = []
        for outcome, what, period in (
            ("attacks", "militia attacks", "in the window"),
            ("isis_attacks", "ISIS attacks", "in the window"),
            ("attacks_follow_on", "militia attacks", "in the follow-on"),
            ("isis_attacks_follow_on", "ISIS attacks", "in the follow-on"),
        ):
            if outcome not in rows.index:
                continue
            row = rows.loc[outcome]
            if not math.isnan(float(row["diff_mean"])):  # type: ignore[arg-type]
                parts.append(_phrase(row, what, period))  # type: ignore[arg-type]
        if parts:
            lines.append(f"Against {comparison.reference}, {option} has " + "; ".join(parts) + ".")
    return lines


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _names(options: list[str]) -> str:
    return options[0] if len(options) == 1 else ", ".join(options[:-1]) + " and " + options[-1]


def _gap_words(gap: Gap, what: str, percent: bool = False) -> str:
    """'lower than kurdistan_hub's by 1.2 (95% CI 0.4 to 2.0)', or that the two cannot be
    told apart. ``percent``: a difference of shares, in percentage points."""

    def show(value: float) -> str:
        return f"{value * 100:.1f}" if percent else number(value)

    unit = " points" if percent else ""
    if not gap.distinguishable:
        interval = (
            f"95% CI {show(gap.low)} to {show(gap.high)}"
            if gap.low == gap.low
            else "no interval from so few states"
        )
        return (
            f"but it cannot be told apart from {gap.second} on this sweep (difference "
            f"{signed(gap.difference * 100) if percent else signed(gap.difference)}{unit}, "
            f"{interval})"
        )
    near, far = sorted((abs(gap.low), abs(gap.high)))
    return (
        f"{what} than {gap.second}'s by {show(abs(gap.difference))}{unit} "
        f"(95% CI {show(near)} to {show(far)})"
    )


def sweep_answer(result: Sweep) -> list[str]:
    """The sweep's answer in words. Each lowest regret or highest satisficing share is set
    against the next option's, paired over the states, and called apart only where the
    difference's interval excludes zero."""
    from ...analysis.sweeps import regret_gap, satisficing_gap

    lines = []
    r = result.regret
    states = result.frame["state"].nunique() if "state" in result.frame else result.study.states
    for outcome, rows in r.groupby("outcome", sort=False):
        ordered = rows.sort_values("regret_mean", kind="stable")
        low = ordered["regret_mean"].iloc[0]
        tied = list(ordered.loc[ordered["regret_mean"] == low, "option"].astype(str))
        best = ordered.iloc[0]
        verb = "has" if len(tied) == 1 else "tie for"
        best_in = _with_bracket(_percent(best["best_in_states"]), best, "best_in", _percent)
        line = (
            f"{_first_upper(label(str(outcome)))}: {_names(tied)} {verb} the lowest mean regret, "
            f"{number(low)} ("
            + (
                f"95% CI {number(best['regret_lo'])} to {number(best['regret_hi'])}; "
                if best["regret_lo"] == best["regret_lo"]
                else "no interval from so few states; "
            )
            + f"best in {best_in} of {states} states)"
        )
        if len(tied) == 1 and len(ordered) > 1:
            gap = regret_gap(
                result.frame, result.study, str(outcome), tied[0], str(ordered["option"].iloc[1])
            )
            line += ", " + _gap_words(gap, "lower")
        lines.append(line + ".")
    s = result.satisficing
    if not s.empty and result.study.thresholds:
        ordered = s.sort_values("satisficing_fraction", ascending=False, kind="stable")
        top_share = ordered["satisficing_fraction"].iloc[0]
        top = list(ordered.loc[ordered["satisficing_fraction"] == top_share, "option"].astype(str))
        first = ordered.iloc[0]
        verb = "meets" if len(top) == 1 else "tie, each meeting"
        line = (
            f"{_names(top)} {verb} every threshold in the most states, {_percent(top_share)} "
            f"(95% CI {_percent(first['satisficing_lo'])} to {_percent(first['satisficing_hi'])})"
        )
        if len(top) == 1 and len(ordered) > 1:
            gap = satisficing_gap(
                result.frame, result.study, top[0], str(ordered["option"].iloc[1])
            )
            line += ", " + _gap_words(gap, "more", percent=True)
        lines.append(line + ".")
    sens = result.sensitivity
    clear = sens[(sens["S1"] - sens["S1_conf"]) > 0] if not sens.empty else sens
    if clear.empty:
        lines.append(
            f"No uncertain parameter's sensitivity index is distinguishable from zero with "
            f"{result.states_text}; more states are needed to say which matter."
        )
    else:
        for outcome, rows in clear.groupby("outcome", sort=False):
            names = ", ".join(sorted(set(rows["parameter"])))
            lines.append(
                f"{_first_upper(label(str(outcome)))} depends measurably on: {names} "
                "(indices whose 95% interval excludes zero)."
            )
    return lines


def discovery_table(found: dict[str, Any], findings: list[str]) -> dict[str, Any]:
    """The box of a scenario discovery (``discovery.json``) as a report table, noted with
    ``findings`` (:meth:`Discovery.findings`)."""
    rows = [
        [
            str(r["parameter"]),
            f"{number(r['low'])} to {number(r['high'])}",
            f"{number(r['full_low'])} to {number(r['full_high'])}",
            "yes" if r["restricted"] else "no",
            "-" if r["qp"] is None else f"{r['qp']:.2g}",
        ]
        for r in found["box"]
    ]
    return _table(
        "discovery",
        f"Scenario discovery for {found['option']}: where {found['condition']}",
        ["parameter", "box", "sampled range", "restricted", "quasi-p"],
        rows,
        " ".join(findings)
        + " Coverage is the share of the states of interest inside the box, density the share "
        "of the box's states that are of interest. A restriction with a large quasi-p-value "
        "may be chance.",
        text_columns=4,
    )
