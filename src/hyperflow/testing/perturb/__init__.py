"""Built-in, offline perturbations for invariance and directional tests.

Tabular: :func:`noise`, :func:`add`, :func:`scale`, :func:`swap`, :func:`shuffle`.
Text: :func:`typos`, :func:`whitespace`, :func:`punctuation`, :func:`names`,
:func:`synonyms`. Any: :func:`rowwise` (your own function on one row) and
:func:`chain`. Every perturbation takes a seeded ``numpy`` generator, so a
test's results repeat under the same seed.
"""

from hyperflow.testing.perturb._base import Perturbation, chain, rowwise
from hyperflow.testing.perturb._tabular import add, noise, scale, shuffle, swap
from hyperflow.testing.perturb._text import (
    NAMES,
    SYNONYMS,
    names,
    punctuation,
    synonyms,
    typos,
    whitespace,
)

__all__ = [
    "NAMES",
    "SYNONYMS",
    "Perturbation",
    "add",
    "chain",
    "names",
    "noise",
    "punctuation",
    "rowwise",
    "scale",
    "shuffle",
    "swap",
    "synonyms",
    "typos",
    "whitespace",
]
