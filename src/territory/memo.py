"""Memoised results per dataset: one decorator, and a cache bounded by the bytes it holds.

A result is stored on the dataset it was computed from (``Dataset.cached``), so it lives and dies
with that dataset (an upload's results go with its dataset) and no key ever needs ``id(ds)``.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import numpy as np
import pandas as pd
import shapely


class Dataset(Protocol):
    """What the decorator needs of a dataset (``territory.data.Dataset``, which imports this module)."""

    def cached(self, key: Any, make: Callable[[], Any]) -> Any:
        """``make()``, memoised under ``key``."""


P = ParamSpec("P")
R = TypeVar("R")

# Past this many items a container's size is estimated from a sample (measuring is paid on every insert).
_SAMPLE = 64


def sizeof(value: Any, _depth: int = 0) -> int:
    """Bytes ``value`` holds, estimated: arrays and frames by their buffers, geometries by their coordinates."""
    if isinstance(value, np.ndarray):
        n = int(value.nbytes)
        if value.dtype == object and value.size:
            n += _sample_size(list(value.ravel()), _depth)
        return n
    if isinstance(value, pd.DataFrame | pd.Series):
        n = int(value.memory_usage(deep=False, index=True).sum()) if isinstance(value, pd.DataFrame) else 0
        columns = value.items() if isinstance(value, pd.DataFrame) else [(None, value)]
        for _, column in columns:
            if str(column.dtype) == "geometry":  # a GeoSeries: its coordinates, not its pointers
                geoms = np.asarray(column.values, dtype=object)
                n += 100 * len(geoms) + 16 * int(shapely.get_num_coordinates(geoms).sum())
            elif column.dtype == object:
                n += _sample_size(list(column), _depth)
            else:
                n += int(column.memory_usage(deep=False))
        return n
    if isinstance(value, shapely.Geometry):
        return 100 + 16 * int(shapely.get_num_coordinates(value))
    if isinstance(value, str | bytes | bytearray):
        return sys.getsizeof(value)
    if _depth > 4:
        return sys.getsizeof(value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + _sample_size([*value.keys(), *value.values()], _depth)
    if isinstance(value, list | tuple | set | frozenset):
        return sys.getsizeof(value) + _sample_size(list(value), _depth)
    fields = getattr(value, "__dict__", None)
    if fields is None and hasattr(value, "__slots__"):
        fields = {k: getattr(value, k, None) for k in value.__slots__}
    if fields:
        return sys.getsizeof(value) + _sample_size(list(fields.values()), _depth)
    return sys.getsizeof(value)


def _sample_size(items: list[Any], depth: int) -> int:
    if len(items) <= _SAMPLE:
        return sum(sizeof(x, depth + 1) for x in items)
    step = len(items) / _SAMPLE
    sample = [items[int(i * step)] for i in range(_SAMPLE)]
    return int(sum(sizeof(x, depth + 1) for x in sample) * len(items) / _SAMPLE)


def per_dataset(fn: Callable[Concatenate[Dataset, P], R]) -> Callable[Concatenate[Dataset, P], R]:
    """Memoise ``fn(ds, *args)`` on ``ds``, keyed on the function and its other arguments.

    The arguments must be hashable; results are shared, so callers treat them as read-only.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"
    signature = inspect.signature(fn)
    positional = len(signature.parameters)

    @functools.wraps(fn)
    def wrapper(ds: Dataset, *args: P.args, **kwargs: P.kwargs) -> R:
        if kwargs or len(args) != positional - 1:  # defaults and keywords: one key for one call
            bound = signature.bind(ds, *args, **kwargs)
            bound.apply_defaults()
            args = bound.args[1:]  # type: ignore[assignment]
        return ds.cached((name, *args), lambda: fn(ds, *args))  # type: ignore[arg-type]

    return wrapper
