import plotly.graph_objects as go
import pytest

from explainer.plots import trace, trace_index, update_traces


def test_a_trace_is_found_by_its_name_and_a_missing_or_repeated_name_is_an_error():
    fig = go.Figure([go.Scatter(name="a"), go.Scatter(name="b"), go.Scatter(name="b")])
    assert trace(fig, "a").name == "a"
    assert trace_index(fig, "a") == 0
    with pytest.raises(KeyError, match="one trace named 'c', found 0; its traces: .'a', 'b', 'b'."):
        trace(fig, "c")
    with pytest.raises(KeyError, match="found 2"):
        trace(fig, "b")


def test_updates_are_applied_by_name():
    fig = go.Figure([go.Scatter(name="a", y=[0]), go.Scatter(name="b", y=[0])])
    update_traces(fig, {"b": dict(y=[2], x=[1])})
    assert trace(fig, "b").y == (2,) and trace(fig, "b").x == (1,) and trace(fig, "a").y == (0,)
    with pytest.raises(KeyError, match="'c'"):
        update_traces(fig, {"c": dict(y=[1])})
