import base64
import io

import numpy as np
import pytest
from PIL import Image

from explainer.data import moon_phases
from explainer.plots import images, trace


def test_tile_places_each_image():
    x = moon_phases(5)
    canvas = images.tile_images(x, n_cols=3, pad=1)
    assert canvas.shape == (2 * 28 + 1, 3 * 28 + 2)
    assert np.array_equal(canvas[29:57, 29:57], x[4].reshape(28, 28).numpy())


def test_png_round_trip():
    a = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    uri = images.png_data_uri(a)
    assert uri.startswith("data:image/png;base64,")
    back = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",")[1]))))
    assert np.array_equal(back, np.rint(a * 255).astype(np.uint8))


def test_png_refuses_out_of_range():
    with pytest.raises(ValueError, match=r"image values must be finite and in \[0, 1\]"):
        images.png_data_uri(np.full((2, 2), 1.5))


def test_grid_figure_is_one_image_trace():
    fig = images.image_grid_figure(moon_phases(4), n_cols=4, titles=["a", "b", "c", "d"])
    assert len(fig.data) == 1 and trace(fig, images.IMAGES).type == "image"
    assert len(fig.layout.annotations) == 4
