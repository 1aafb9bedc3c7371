"""The daily series in long ("tidy") form and as an xarray ``Dataset``.

``series.parquet`` is wide: per day, ``<series>_mean`` and ``<series>_q05`` .. ``_q95`` for
each series, plus ``escalation_share_<level>``. The tidy form has one row per (day, series,
statistic), which plotting and data tools group by without parsing column names; the
``Dataset`` has one variable per series over the dimensions ``day`` and ``statistic``.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ..runner.provenance import SERIES_SPECS

_COLUMN = re.compile(r"^(?P<series>.+)_(?P<statistic>mean|q\d\d)$")
XARRAY_MISSING = "xarray is not installed; install it with: pip install xarray"


def tidy_series(wide: pd.DataFrame) -> pd.DataFrame:
    """One row per (day, series, statistic): columns ``day``, ``date``, ``series``,
    ``statistic`` (``mean``, ``q05``, ``q25``, ``q50``, ``q75``, ``q95``), ``value`` and
    ``unit``, plus ``option`` when the table has one (a compare's). The escalation shares
    are series ``escalation_share_<level>`` with statistic ``share``."""
    keys = [c for c in ("day", "date", "option") if c in wide.columns]
    values = [c for c in wide.columns if c not in keys]
    long = wide.melt(id_vars=keys, value_vars=values, var_name="column", value_name="value")
    parts = long["column"].str.extract(_COLUMN)
    shares = parts["series"].isna()
    parts.loc[shares, "series"] = long.loc[shares, "column"]
    parts.loc[shares, "statistic"] = "share"
    long = long.drop(columns="column")
    long.insert(len(keys), "series", parts["series"].to_numpy())
    long.insert(len(keys) + 1, "statistic", parts["statistic"].to_numpy())
    units = {name: unit for name, (unit, _) in SERIES_SPECS.items()}
    long["unit"] = long["series"].map(units).fillna("share 0-1")
    return long.sort_values([*keys, "series", "statistic"], kind="stable").reset_index(drop=True)


def series_dataset(wide: pd.DataFrame) -> Any:
    """An xarray ``Dataset``: one variable per series (with its unit and description as
    attributes) over ``day`` and ``statistic``, and ``date`` as a coordinate of ``day``.

    Raises:
        ImportError: xarray is not installed (one line saying how to install it).
    """
    try:
        import xarray as xr
    except ImportError:
        raise ImportError(XARRAY_MISSING) from None
    tidy = tidy_series(wide.drop(columns=[c for c in ("option",) if c in wide.columns]))
    tidy = tidy[tidy["statistic"] != "share"]
    variables: dict[str, Any] = {}
    for name, rows in tidy.groupby("series", sort=False):
        table = rows.pivot(index="day", columns="statistic", values="value")
        unit, description = SERIES_SPECS.get(str(name), ("", str(name)))
        variables[str(name)] = xr.DataArray(
            table.to_numpy(),
            dims=("day", "statistic"),
            coords={"day": table.index.to_numpy(), "statistic": list(table.columns)},
            attrs={"unit": unit, "description": description},
        )
    dataset = xr.Dataset(variables)
    if "date" in wide.columns:
        dataset = dataset.assign_coords(date=("day", pd.to_datetime(wide["date"]).to_numpy()))
    return dataset
