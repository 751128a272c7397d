import plotly.graph_objects as go
import pytest

from explainer.plots import trace, trace_index


def test_a_trace_is_found_by_its_name_and_a_missing_or_repeated_name_is_an_error():
    fig = go.Figure([go.Scatter(name="a"), go.Scatter(name="b"), go.Scatter(name="b")])
    assert trace(fig, "a").name == "a"
    assert trace_index(fig, "a") == 0
    with pytest.raises(KeyError, match="one trace named 'c', found 0; its traces: .'a', 'b', 'b'."):
        trace(fig, "c")
    with pytest.raises(KeyError, match="found 2"):
        trace(fig, "b")
