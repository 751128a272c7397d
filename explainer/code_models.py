"""The trained 1-D-code models a code-axis explainer has shown, kept by their settings.

Training is deterministic (:func:`explainer.code_space.train_code_model`), so the same
:class:`~explainer.code_space.CodeSpaceSettings` always give the same model: a
:class:`TrainedCodeModels` trains each settings once and keeps the model and its
measurements, so that a slider moved back to a value shows it at once and a page can carry
the model of every state it precomputed (``explainer.widgets.code_space``'s
``live_figures``). The oldest entries are dropped beyond ``max_models``.
"""

from __future__ import annotations

from collections import OrderedDict

from explainer import code_space
from explainer.code_space import CodeSpace, CodeSpaceSettings
from explainer.models import Autoencoder
from explainer.validation import check_int

# a slider grid of a code-axis explainer holds at most 56 models (2 x 7 x 4, fewer distinct)
DEFAULT_MAX_MODELS = 64


class TrainedCodeModels:
    """Each settings trained once: ``space(settings)`` and ``model(settings)``."""

    def __init__(self, *, max_models: int = DEFAULT_MAX_MODELS) -> None:
        self.max_models = check_int("max_models", max_models, low=1)
        self._trained: OrderedDict[CodeSpaceSettings, tuple[Autoencoder, CodeSpace]] = (
            OrderedDict())

    def __len__(self) -> int:
        return len(self._trained)

    def __contains__(self, settings: object) -> bool:
        return settings in self._trained

    def _get(self, settings: CodeSpaceSettings) -> tuple[Autoencoder, CodeSpace]:
        if settings in self._trained:
            self._trained.move_to_end(settings)
            return self._trained[settings]
        result, space = code_space.explore_code_space(settings)
        self._trained[settings] = (result.model, space)
        while len(self._trained) > self.max_models:
            self._trained.popitem(last=False)
        return self._trained[settings]

    def space(self, settings: CodeSpaceSettings) -> CodeSpace:
        """The measurements of the model ``settings`` define (trained now if new)."""
        return self._get(settings)[1]

    def model(self, settings: CodeSpaceSettings) -> Autoencoder:
        """The model ``settings`` define (trained now if new)."""
        return self._get(settings)[0]
