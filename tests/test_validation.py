"""The argument checks of explainer.validation added for one home: seeds, finite arrays,
draws. Each error names the parameter."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explainer.validation import (
    check_code_stats,
    check_draws,
    check_finite,
    check_finite_array,
    check_seed,
    check_seeds,
)


def test_check_seed_accepts_non_negative_integers_only():
    assert check_seed(0) == 0 and check_seed(np.int64(7)) == 7
    with pytest.raises(ValueError, match=r"seed must be an integer in \[0, inf\], got -1"):
        check_seed(-1)
    with pytest.raises(TypeError, match="seed must be an integer, got float"):
        check_seed(1.0)
    with pytest.raises(TypeError, match="seed must be an integer, got bool"):
        check_seed(True)
    with pytest.raises(ValueError, match=r"seeds\[2\] must be an integer"):
        check_seed(-3, name="seeds[2]")


def test_check_seeds_names_the_seed_at_fault():
    assert check_seeds([0, 3]) == (0, 3) and check_seeds((1, 1)) == (1, 1)
    with pytest.raises(ValueError, match="seeds must hold at least one seed"):
        check_seeds(())
    with pytest.raises(ValueError, match=r"seeds\[1\] must be an integer in \[0, inf\]"):
        check_seeds([0, -1])
    with pytest.raises(ValueError, match=r"seeds must be distinct, got \[2, 2\]"):
        check_seeds([2, 2], distinct=True)


def test_check_finite_array_takes_numbers_lists_arrays_and_tensors():
    np.testing.assert_array_equal(check_finite_array("x", 1.5), np.array(1.5))
    np.testing.assert_array_equal(check_finite_array("x", [1, 2]), np.array([1.0, 2.0]))
    out = check_finite_array("x", torch.tensor([0.5, -1.0]))
    assert out.dtype == np.float64 and out.tolist() == [0.5, -1.0]


@pytest.mark.parametrize("value, exc, match", [
    (True, TypeError, "x must be a real number or an array of them, got bool"),
    ("a", TypeError, "x must be a real number or an array of them, got str"),
    ([[1.0]], ValueError, r"x must be a number or a 1-D array, got shape \(1, 1\)"),
    ([], ValueError, "x must hold at least one value, got none"),
    ([1.0, float("nan")], ValueError, r"x must be finite, got \[1.0, nan\]"),
    (np.full(100, np.inf), ValueError, "x must be finite, got 100 of 100 values NaN or infinite"),
])
def test_check_finite_array_refuses_by_name(value, exc, match):
    with pytest.raises(exc, match=match):
        check_finite_array("x", value)


def test_check_finite_keeps_any_shape_and_refuses_non_finite_values():
    assert check_finite("grid", np.zeros((2, 3))).shape == (2, 3)
    assert check_finite("grid", []).shape == (0,)
    with pytest.raises(ValueError, match="grid must be finite"):
        check_finite("grid", [[0.0, np.nan]])


def test_check_code_stats_wants_one_shape_and_finite_values():
    m, s = check_code_stats([0.5, 1.0], np.zeros(2))
    assert m.dtype == s.dtype == np.float64 and m.shape == s.shape == (2,)
    with pytest.raises(ValueError, match=r"logvar must have the shape of mean \(2,\), got \(1,\)"):
        check_code_stats([0.5, 1.0], [0.0])
    with pytest.raises(ValueError, match="logvar must be finite"):
        check_code_stats([0.5], [np.inf])


def test_check_draws_takes_a_column_and_bounds_the_count():
    np.testing.assert_array_equal(check_draws("samples", np.ones((3, 1)), high=5), np.ones(3))
    with pytest.raises(ValueError, match=r"samples must be 1-D \(one number per draw\)"):
        check_draws("samples", np.ones((3, 2)), high=5)
    with pytest.raises(ValueError, match="samples must hold between 2 and 5 draws, got 6"):
        check_draws("samples", np.ones(6), low=2, high=5)
