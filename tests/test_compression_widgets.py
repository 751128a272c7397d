import numpy as np
import pytest

from explainer import compression as C
from explainer import pca as P
from explainer.data import load_mnist
from explainer.plots import compression as plots
from explainer.plots import trace
from explainer.widgets.compression import CodeSizeExplorer, LinearAETrainer
from widget_errors import assert_error_shown


@pytest.fixture(scope="module")
def mnist():
    return load_mnist()


@pytest.fixture(scope="module")
def comparison(mnist):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(C, "DEEP_AE_TRAINING", C.DEEP_AE_TRAINING.replace(epochs=1))
        return C.compare_code_sizes(mnist, grid=(2, 10), digits=(0, 100, 200))


def test_code_size_slider_redraws_images_and_marker(comparison):
    w = CodeSizeExplorer(comparison, k=10)
    image = trace(w.fig, plots.RECONSTRUCTIONS)
    before = image.source
    w.k.value = 3
    assert image.source != before
    expected = plots.code_size_updates(comparison, 3, top=w.top)
    assert image.source == expected[plots.RECONSTRUCTIONS]["source"]
    assert list(trace(w.fig, plots.K_MARKER).x) == [3, 3]
    assert "k = 3" in w.fig.layout.title.text and "nearest to 3" in w.fig.layout.title.text
    w.k.value = 64
    assert list(trace(w.fig, plots.K_MARKER).x) == [64, 64]
    assert w.k.min == 1 and w.k.max == P.MAX_CODE_SIZE


def test_code_size_refuses_a_k_outside_the_slider(comparison, mnist):
    from traitlets import TraitError

    with pytest.raises(ValueError, match=r"k must be an integer in \[1, 64\], got 65"):
        CodeSizeExplorer(comparison, k=65)
    w = CodeSizeExplorer(comparison, k=10)
    with pytest.raises(TraitError, match=r"k must be an integer in \[1, 64\], got 0"):
        w.k.value = 0
    assert w.k.value == 10
    with pytest.raises(ValueError, match=r"k must be an integer in \[1, 64\], got 0"):
        LinearAETrainer(mnist, k=0)


def test_code_size_error_reaches_the_page(comparison, monkeypatch):
    w = CodeSizeExplorer(comparison)
    assert_error_shown(w, monkeypatch, plots, "code_size_updates", lambda: setattr(w.k, "value", 4))


def test_train_button_streams_states(mnist):
    w = LinearAETrainer(mnist, k=4)
    curve = trace(w.fig, plots.LINEAR_CURVE)
    assert len(curve.x or ()) == 0
    w.train_button.click()
    steps = list(curve.x)
    assert steps[0] == 0 and steps[-1] == C.LINEAR_AE_TRAINING.n_steps and len(steps) == 21
    assert trace(w.fig, plots.LARGEST_ANGLE).y[-1] < 5.0  # the largest angle ends near zero
    assert not w.train_button.disabled and "step 200" in w.readout.value
    first = list(curve.y)
    w.train_button.click()  # new random weights: a different start, the same end
    assert w.runs == 2 and list(curve.y)[0] != first[0]
    assert np.isclose(curve.y[-1], first[-1], rtol=1e-3)


def test_pca_level_line_spans_the_training(mnist):
    w = LinearAETrainer(mnist, k=2)
    assert list(trace(w.fig, plots.PCA_LEVEL).x) == [0, C.LINEAR_AE_TRAINING.n_steps]
