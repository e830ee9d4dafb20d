"""Checks shared by every problem: each returns a fresh float64 copy or a clean scalar.

Every error is a ValueError or TypeError that names the parameter and the rule,
so that a compiled kernel never sees input that could make it misbehave.
"""
from __future__ import annotations

import difflib
import math
import numbers

import numpy as np

__all__ = ["as_float_array", "as_grid", "as_unit_interval", "as_count", "as_vector", "as_positive",
           "as_choice", "did_you_mean", "plain"]


def plain(value: object) -> str:
    """``value`` as an error message shows it: a NumPy scalar as its Python number
    (``2.0``, not ``np.float64(2.0)``), anything else as its ``repr``."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(str(value) if isinstance(value, str) else value)


def did_you_mean(value: object, known: list[str]) -> str:
    """``"; did you mean 'numba-loops'?"`` for a near miss of a known name, else ``""``."""
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value.lower(), list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def as_choice(name: str, value: object, options) -> str:
    """``value`` as a plain ``str`` when it is one of ``options``, else a ValueError that
    lists them, shows ``value`` plainly (``'hovard'``, not ``np.str_('hovard')``) and
    suggests the nearest option."""
    options = list(options)
    if isinstance(value, str) and value in options:
        return str(value)
    raise ValueError(f"{name} must be one of {', '.join(options)}; got {plain(value)}"
                     f"{did_you_mean(value, options)}")


def _float64_copy(name: str, value: object, ndim: int | None) -> np.ndarray:
    """A float64 C-ordered copy of ``value`` (never a view), after the dtype and ndim checks."""
    array = np.asarray(value)
    kind = array.dtype.kind
    if kind not in "iufcb":
        raise TypeError(f"{name} must be numeric, got dtype {array.dtype}")
    if kind in "cb":
        raise TypeError(f"{name} must be real numbers, got dtype {array.dtype}")
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {array.shape}")
    return np.array(array, dtype=np.float64, copy=True, order="C")


def _require_finite(name: str, array: np.ndarray) -> None:
    if array.size and not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")


def as_float_array(name: str, value: object, *, ndim: int | None = None) -> np.ndarray:
    """A finite float64 copy of ``value`` (never a view of the caller's array)."""
    array = _float64_copy(name, value, ndim)
    _require_finite(name, array)
    return array


def as_grid(name: str, value: object, *, positive: bool = False) -> np.ndarray:
    """A 1-D, non-empty, finite, non-negative (or positive), strictly increasing grid."""
    grid = _float64_copy(name, value, 1)
    if grid.size == 0:
        raise ValueError(f"{name} must not be empty")
    # Finite ends and positive steps (NaN fails ``> 0``) make every point finite: one pass
    # over the grid where all is well, the precise complaint only where it is not.
    if not (math.isfinite(grid[0]) and math.isfinite(grid[-1])
            and np.count_nonzero(grid[1:] > grid[:-1]) == grid.size - 1):
        _require_finite(name, grid)
        raise ValueError(f"{name} must be strictly increasing")
    if positive and grid[0] <= 0:
        raise ValueError(f"{name} must be positive, got minimum {plain(grid[0])}")
    if grid[0] < 0:
        raise ValueError(f"{name} must be non-negative, got minimum {plain(grid[0])}")
    grid.flags.writeable = False
    return grid


def as_unit_interval(name: str, value: object) -> float:
    """A float strictly inside (0, 1)."""
    if type(value) is not float and (isinstance(value, (bool, np.bool_))
                                     or not isinstance(value, numbers.Real)):
        raise TypeError(f"{name} must be a real number in (0, 1), got {type(value).__name__}")
    value = float(value)
    if math.isnan(value) or not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be in the open interval (0, 1), got {value!r}")
    return value


def as_positive(name: str, value: object) -> float:
    """A finite float > 0."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive real number, got {type(value).__name__}")
    value = float(value)
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return value


def as_count(name: str, value: object, *, minimum: int = 0) -> int:
    """An integer >= minimum (bools and floats are refused, 3.0 included)."""
    if type(value) is not int and (isinstance(value, (bool, np.bool_))
                                   or not isinstance(value, numbers.Integral)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def as_vector(name: str, value: object, shape: tuple[int, ...]) -> np.ndarray:
    """A finite float64 copy of ``value`` with exactly ``shape``."""
    array = as_float_array(name, value)
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
    return array
