"""Pure figure builders: arrays in, ``plotly.graph_objects.Figure`` out, never ``show()``.

One module per concept; ``images`` holds what every image figure shares (tiling digits
into one picture, encoding it as a PNG data URI for a ``go.Image`` trace).
"""
