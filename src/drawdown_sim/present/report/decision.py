"""The report's first screen: the answer, the Pareto set, the option x outcome table and what
flips the ranking, built only from computed numbers (:mod:`drawdown_sim.analysis.decision`)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...common.numbers import difference
from .content import label, number

if TYPE_CHECKING:
    from ...analysis.comparison import Comparison
    from ...analysis.sweeps import Sweep

HEADLINE = ("killed", "wounded", "attacks", "isis_attacks")
"""The outcomes of the first screen's table, each over the window and follow-on together."""

NOT_APPLICABLE = "n/a"


def _interval(mean: float, low: float, high: float) -> str:
    if mean != mean:
        return NOT_APPLICABLE
    if low != low:
        return number(mean)
    return f"{number(mean)} [{number(low)}, {number(high)}]"


def _names(options: list[str]) -> str:
    if not options:
        return "none"
    return options[0] if len(options) == 1 else ", ".join(options[:-1]) + " and " + options[-1]


def _period_words(column: str) -> str:
    if column.endswith("_both"):
        return "window + follow-on"
    return "follow-on" if column.endswith("_follow_on") else "window"


def column_label(column: str) -> str:
    """'coalition killed (window + follow-on)'."""
    base = column.removesuffix("_both").removesuffix("_follow_on")
    return f"{label(base)} ({_period_words(column)})"


def pareto_lines(table: pd.DataFrame, columns: list[str]) -> list[str]:
    """The Pareto set in words: its members, and each dominated option with what dominates it."""
    members = [str(o) for o in table.loc[table["pareto"].astype(bool), "option"]]
    judged = ", ".join(column_label(c) for c in columns)
    dominated = [
        f"{row.option} (by {row.dominated_by})"
        for row in table.itertuples()
        if not bool(row.pareto)
    ]
    return [
        f"Pareto set: {_names(members)}."
        + (
            " Dominated: " + "; ".join(dominated) + "." if dominated else " No option is dominated."
        ),
        f"Judged on {judged}; an option is dominated when another is distinguishably better on "
        "one of them and distinguishably worse on none (95% paired intervals).",
    ]


def _short(column: str) -> str:
    return label(column.removesuffix("_both").removesuffix("_follow_on"))


def _trade_sentence(differences: pd.DataFrame, first: str, second: str) -> str:
    """What ``first`` and ``second`` trade: where each is distinguishably better, and so what
    the ranking turns on."""
    pair = differences[(differences["first"] == first) & (differences["second"] == second)]
    good = pair[pair["verdict"] == "better"]
    bad = pair[pair["verdict"] == "worse"]
    if good.empty and bad.empty:
        return (
            f"{first} and {second} cannot be told apart on any judged outcome: the choice "
            "between them rests on what the model does not see."
        )

    def listed(rows: pd.DataFrame) -> str:
        items = [
            f"{number(abs(float(d)))} {_short(str(c))}"
            for d, c in zip(rows["difference"], rows["column"], strict=True)
        ]
        return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

    if good.empty or bad.empty:
        winner, rows = (first, good) if bad.empty else (second, bad)
        return f"{winner} is ahead of {second if winner == first else first}: {listed(rows)} fewer."
    return (
        f"{first} against {second}: {first} has {listed(good)} fewer; {second} has "
        f"{listed(bad)} fewer. {second} ranks first only if those {listed(bad)} weigh more "
        "than the rest."
    )


# --- a sweep -------------------------------------------------------------------------------
def sweep_first_screen(result: Sweep) -> dict[str, Any]:
    """The answer, Pareto set, option table and flips of a sweep (see the module)."""
    from ...analysis.sweeps import _by_state, _state_bootstrap

    study = result.study
    columns = [o.column for o in study.judged]
    assert result.pareto is not None and result.flips is not None
    answer: list[str] = []
    weighted = result.weighted
    if weighted is not None and len(weighted):
        best, runner = weighted.iloc[0], weighted.iloc[1] if len(weighted) > 1 else None
        line = (
            f"With the study's weights, {best['option']} has the lowest weighted score, "
            f"{_interval(best['score'], best['score_lo'], best['score_hi'])}, and the lowest "
            f"regret, {_interval(best['regret'], best['regret_lo'], best['regret_hi'])}; it is "
            f"best in {best['best_in']:.0%} of the states"
        )
        if runner is not None:
            from ...analysis.decision import losses

            samples = {c: _by_state(result.frame, c) for c in columns}
            better = {c: study.direction_of(c) for c in columns}
            loss = losses(samples, study.weights, better)
            gap = (loss[runner["option"]] - loss[best["option"]]).to_numpy(dtype=float)
            lo, hi = _state_bootstrap(gap, study.seed)
            told = "distinguishably" if lo > 0 else "but not distinguishably"
            line += (
                f"; {runner['option']} comes next, {told} worse by "
                f"{number(float(np.nanmean(gap)))} [{number(lo)}, {number(hi)}]"
            )
        answer.append(line + ".")
    else:
        answer.append(
            "The study gives no weights: the Pareto set below is the answer, and the choice "
            "within it is a judgement of how the outcomes weigh against each other."
        )
    voi = result.value_of_information
    if voi is not None and len(voi):
        top = voi.dropna(subset=["evppi"]).head(1)
        decisive = voi[voi["decisive"].astype(bool)]
        if len(decisive):
            t = decisive.iloc[0]
            answer.append(
                f"Worth learning first: {t['parameter']}. Knowing it before choosing would "
                f"lower the expected {t['judged_on']} by "
                f"{_interval(t['evppi'], t['low'], t['high'])}"
                + (
                    f"; then {', '.join(str(p) for p in decisive['parameter'].iloc[1:3])}."
                    if len(decisive) > 1
                    else "; no other parameter's value is distinguishable from zero."
                )
            )
        elif len(top):
            answer.append(
                f"No uncertain parameter's value of information is distinguishable from zero "
                f"with {result.frame['state'].nunique()} states: nothing measured here is "
                "worth learning before choosing (or more states are needed to say)."
            )
    rows = []
    headline = [f"{o}_both" if f"{o}_both" in result.frame else o for o in HEADLINE]
    scores = {}
    if weighted is not None:
        scores = {str(r["option"]): r for r in weighted.to_dict("records")}
    for option, frame in result.frame.groupby("option", sort=False):
        frame = frame.sort_values("state")
        cells = [str(option)]
        for k, column in enumerate(headline):
            values = frame[column].to_numpy(dtype=float)
            lo, hi = _state_bootstrap(values, study.seed)
            cells.append(
                _interval(
                    float(np.nanmean(values)) if np.isfinite(values).any() else math.nan, lo, hi
                )
            )
            if k == 0:
                share = (
                    frame["p_any_killed"].to_numpy(dtype=float)
                    if "p_any_killed" in frame
                    else np.array([math.nan])
                )
                cells.append("-" if np.isnan(share).all() else f"{np.nanmean(share):.0%}")
        if scores:
            r = scores[str(option)]
            cells.append(_interval(r["score"], r["score_lo"], r["score_hi"]))
        rows.append(cells)
    period = _period_words(headline[0])
    table_columns = [
        "option",
        "coalition killed",
        "P(any killed)",
        "coalition wounded",
        "militia attacks",
        "ISIS attacks",
        *(["weighted score (lower is better)"] if scores else []),
    ]
    flips = _first_flips(result, list(weighted["option"]) if weighted is not None else [])
    if not flips:
        flips = ["No pair of options to set against each other (or PRIM is not installed)."]
    return {
        "answer": answer,
        "pareto": pareto_lines(result.pareto, columns),
        "options_table": {
            "columns": table_columns,
            "rows": rows,
            "note": f"Over the {period}. Means over the {result.frame['state'].nunique()} "
            "states with 95% bootstrap intervals over the states; P(any killed): the share of "
            "replications with at least one coalition death, averaged over the states."
            + (
                " Weights of the score (the study's value judgement): "
                + ", ".join(
                    f"{label(k.removesuffix('_both'))} {number(v)}"
                    for k, v in study.weights.items()
                )
                + "."
                if study.weights
                else ""
            ),
        },
        "flips": flips,
    }


FIRST_SCREEN_FLIPS = 3
"""Flips shown on the first screen (the rest are in the full table)."""


def _first_flips(result: Sweep, ranking: list[str]) -> list[str]:
    """The flip sentences for the first screen: those involving the best-ranked option
    first, at most :data:`FIRST_SCREEN_FLIPS`, each hedged when its box does no better than
    chance on held-out states."""
    flips = result.flips
    if flips is None or flips.empty:
        return []
    rank = {o: i for i, o in enumerate(ranking)}
    order = flips.assign(
        _rank=[
            min(rank.get(a, 99), rank.get(b, 99))
            for a, b in zip(flips["first"], flips["second"], strict=True)
        ]
    ).sort_values("_rank", kind="stable")
    lines = []
    for r in order.head(FIRST_SCREEN_FLIPS).to_dict("records"):
        sentence = str(r["sentence"])
        low = float(r["held_out_density_lo"])
        if (
            isinstance(r["box"], str)
            and r["box"]
            and (low != low or low <= float(r["winner_share"]))
        ):
            sentence += (
                " A hint only: on states it was not found on, the box does not do "
                "distinguishably better than chance."
            )
        lines.append(sentence)
    if len(flips) > FIRST_SCREEN_FLIPS:
        lines.append(f"{len(flips) - FIRST_SCREEN_FLIPS} more pairs in the full table below.")
    return lines


# --- a comparison --------------------------------------------------------------------------
def _totals(comparison: Comparison, option: str, outcome: str) -> pd.Series:
    """Per replication, ``outcome`` over the window and (where there is one) the follow-on."""
    result = comparison.results[option]
    values = result.column(outcome)
    follow = f"{outcome}_follow_on"
    if result.scenario.follow_on is not None:
        values = values + result.column(follow)
    return pd.Series(values, index=result.column("replication").astype(np.int64))


def compare_pareto(comparison: Comparison, seed: int = 0) -> Any:
    """The Pareto set of a comparison's options on :data:`HEADLINE` (window and follow-on
    together), paired over the replications (common random numbers)."""
    from ...analysis.decision import pareto_set

    samples = {
        f"{o}_both": pd.DataFrame(
            {name: _totals(comparison, name, o) for name in comparison.options}
        )
        for o in HEADLINE
    }
    better = dict.fromkeys(samples, "lower")
    return pareto_set(samples, better, seed), samples


def compare_first_screen(comparison: Comparison) -> dict[str, Any]:
    """The answer, Pareto set, option table and what flips the ranking of a comparison."""
    from ...analysis.completion import proportion

    pareto, samples = compare_pareto(comparison)
    columns = list(samples)
    answer = []
    reference = comparison.reference
    description = comparison.results[reference].scenario.description.strip()
    answer.append(
        f"Every option is set against {reference}: {description}"
        if description
        else f"Every option is set against {reference}."
    )
    best_each = []
    for column in columns:
        means = samples[column].mean()
        best = str(means.idxmin())
        best_each.append(
            f"fewest {label(column.removesuffix('_both'))}: {best} ({number(means[best])})"
        )
    answer.append("Over the window and follow-on together, " + "; ".join(best_each) + ".")
    members = pareto.members
    if len(members) == 1:
        answer.append(
            f"{members[0]} is the one option no other beats on every outcome: it does at least "
            "as well as each of the others on all four, and distinguishably better on some."
        )
    rows = []
    for option in comparison.options:
        cells = [option]
        for k, column in enumerate(columns):
            values = samples[column][option].to_numpy(dtype=float)
            values = values[np.isfinite(values)]
            half = (
                1.96 * values.std(ddof=1) / math.sqrt(values.size) if values.size > 1 else math.nan
            )
            cells.append(
                _interval(float(values.mean()), values.mean() - half, values.mean() + half)
            )
            if k == 0:
                share = proportion(int((values > 0).sum()), int(values.size))
                cells.append(f"{share.value:.0%} [{share.low * 100:.0f}, {share.high * 100:.0f}]")
        rows.append(cells)
    import itertools

    all_pairs = list(itertools.combinations(members, 2))
    # The reference's pairs first: they say what the options trade against standing still.
    all_pairs.sort(key=lambda p: reference not in p)
    pairs = [_trade_sentence(pareto.differences, a, b) for a, b in all_pairs[:FIRST_SCREEN_FLIPS]]
    if len(all_pairs) > FIRST_SCREEN_FLIPS:
        pairs.append(
            f"The Pareto set's {len(all_pairs) - FIRST_SCREEN_FLIPS} other pairs trade in the "
            "same way (see the table above)."
        )
    if not pairs:
        pairs.append(
            "With one option in the Pareto set, no exchange of one outcome for another flips "
            "the ranking at these parameter values."
        )
    pairs.append(
        "This comparison is one state of the world; which uncertain parameters flip the "
        "ranking is what drawdown-sim sweep answers (flips.csv)."
    )
    return {
        "answer": answer,
        "pareto": pareto_lines(pareto.table, columns),
        "options_table": {
            "columns": [
                "option",
                "coalition killed",
                "P(any killed) [95% CI]",
                "coalition wounded",
                "militia attacks",
                "ISIS attacks",
            ],
            "rows": rows,
            "note": "Means per replication over the window and the follow-on together, with "
            "95% intervals (normal for means, Wilson for the share).",
        },
        "flips": pairs,
    }


def why_table(parts: pd.DataFrame, reference: str) -> dict[str, Any]:
    """ "Why the options differ": the difference in mean militia attacks against
    ``reference`` by channel, each with its 95% interval
    (:mod:`drawdown_sim.analysis.decomposition`)."""
    from ...analysis.decomposition import GROUPS, LABELS, wide

    columns = ("total", *GROUPS)
    rows = [
        [
            str(row["option"]),
            _period_words(f"x{'_follow_on' if row['period'] == 'follow_on' else ''}"),
            *(difference(row[c], row[f"{c}_low"], row[f"{c}_high"]) for c in columns),
        ]
        for _, row in wide(parts, columns).iterrows()
    ]
    return {
        "title": f"Why the options differ in militia attacks (against {reference})",
        "columns": ["option", "period", *(LABELS[c] for c in columns)],
        "rows": rows,
        "note": "The difference in mean militia attacks, split exactly into its channels "
        "(the three parts sum to it): whether and how long the militias campaign, how many "
        "people they can reach (exposure-days, weighted by site as the attack rate weighs "
        "them), and how hard they attack what they can reach (attacks per exposure-day). "
        "Each is a Shapley share of a product of means, so no channel is counted first; "
        "95% intervals from a paired bootstrap over replications. decomposition.csv holds "
        "the six parts behind the three.",
    }
