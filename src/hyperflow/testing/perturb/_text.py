"""Text perturbations, all offline: typos, whitespace, punctuation, names, synonyms.

The name list and synonym table are small and built in; nothing is downloaded.
A perturbation that does not apply to a text (no known name in it) yields
``None`` for that row and the test skips it, as CheckList does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from hyperflow._errors import TestingError
from hyperflow.testing.perturb._base import Perturbation, Perturbed

__all__ = ["NAMES", "SYNONYMS", "names", "punctuation", "synonyms", "typos", "whitespace"]

NAMES: tuple[str, ...] = (
    "Alice", "Amir", "Anna", "Ben", "Carlos", "Chen", "David", "Elena", "Emma", "Fatima",
    "Grace", "Hana", "Ivan", "James", "John", "Julia", "Kenji", "Laura", "Liam", "Maria",
    "Mark", "Mei", "Mohammed", "Nadia", "Noah", "Olga", "Omar", "Paul", "Priya", "Rosa",
    "Sam", "Sara", "Sofia", "Tom", "Yusuf", "Zoe",
)  # fmt: skip

SYNONYMS: Mapping[str, tuple[str, ...]] = {
    "good": ("fine", "decent", "nice"),
    "great": ("excellent", "wonderful", "terrific"),
    "bad": ("poor", "awful", "lousy"),
    "terrible": ("horrible", "dreadful", "awful"),
    "happy": ("glad", "pleased", "cheerful"),
    "sad": ("unhappy", "gloomy", "down"),
    "movie": ("film", "picture"),
    "film": ("movie", "picture"),
    "book": ("novel", "volume"),
    "big": ("large", "huge"),
    "small": ("little", "tiny"),
    "fast": ("quick", "rapid"),
    "slow": ("sluggish", "unhurried"),
    "like": ("enjoy", "appreciate"),
    "love": ("adore", "cherish"),
    "hate": ("detest", "loathe"),
    "buy": ("purchase", "get"),
    "help": ("assist", "aid"),
    "start": ("begin", "commence"),
    "end": ("finish", "conclude"),
    "quiet": ("silent", "calm"),
    "easy": ("simple", "effortless"),
    "hard": ("difficult", "tough"),
    "smart": ("clever", "bright"),
    "friendly": ("kind", "warm"),
    "rude": ("impolite", "discourteous"),
    "boring": ("dull", "tedious"),
    "funny": ("amusing", "hilarious"),
    "beautiful": ("lovely", "gorgeous"),
    "ugly": ("unattractive", "hideous"),
    "story": ("tale", "plot"),
    "food": ("meal", "dish"),
    "staff": ("employees", "team"),
    "price": ("cost", "charge"),
    "cheap": ("inexpensive", "affordable"),
    "expensive": ("costly", "pricey"),
}

_WORD = re.compile(r"[A-Za-z]+")


def _match_case(word: str, like: str) -> str:
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


class _Text(Perturbation):
    kind = "text"

    def apply(self, batch: Perturbed, rng: np.random.Generator) -> Perturbed:
        if not isinstance(batch, list):
            raise TestingError(f"perturbation {self.name} works on text inputs, but got a table")
        return [None if t is None else self.change(str(t), rng) for t in batch]

    def change(self, text: str, rng: np.random.Generator) -> str | None:
        raise NotImplementedError


class _Typos(_Text):
    def __init__(self, n: int) -> None:
        super().__init__(f"typos(n={n})")
        self.n = n

    def change(self, text: str, rng: np.random.Generator) -> str | None:
        chars = list(text)
        spots = [i for i in range(len(chars) - 1) if chars[i].isalpha() and chars[i + 1].isalpha()]
        if not spots:
            return None
        for i in rng.choice(spots, size=min(self.n, len(spots)), replace=False):
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        return "".join(chars)


class _Whitespace(_Text):
    def change(self, text: str, rng: np.random.Generator) -> str | None:
        gaps = [m.start() for m in re.finditer(" ", text)]
        if gaps:
            i = int(rng.choice(gaps))
            text = text[:i] + "  " + text[i + 1 :]
        return text + " "


class _Punctuation(_Text):
    def change(self, text: str, rng: np.random.Generator) -> str | None:
        stripped = text.rstrip()
        if stripped and stripped[-1] in ".!?;,":
            return stripped.rstrip(".!?;,")
        return stripped + str(rng.choice([".", "!"]))


class _Replace(_Text):
    def __init__(self, name: str, table: Mapping[str, tuple[str, ...]]) -> None:
        super().__init__(name)
        self.table = table

    def change(self, text: str, rng: np.random.Generator) -> str | None:
        hits = [m for m in _WORD.finditer(text) if m.group(0).lower() in self.table]
        if not hits:
            return None
        m = hits[int(rng.integers(len(hits)))]
        word = m.group(0)
        choices = self.table[word.lower()]
        new = _match_case(str(choices[int(rng.integers(len(choices)))]), word)
        return text[: m.start()] + new + text[m.end() :]


def typos(n: int = 1) -> Perturbation:
    """Swap ``n`` pairs of adjacent letters (a typing slip).

    Example:
        >>> import numpy as np
        >>> typos()(["great film"], np.random.default_rng(0))[0] != "great film"
        True
    """
    if n < 1:
        raise TestingError(f"typos(n=...) must be >= 1, but got {n}")
    return _Typos(n)


def whitespace() -> Perturbation:
    """Double one space and add a trailing one.

    Example:
        >>> whitespace()(["a b"])
        ['a  b ']
    """
    return _Whitespace("whitespace()")


def punctuation() -> Perturbation:
    """Drop the final punctuation, or add a period or exclamation mark when there is none.

    Example:
        >>> punctuation()(["What a film!"])
        ['What a film']
    """
    return _Punctuation("punctuation()")


def names(pool: tuple[str, ...] = NAMES) -> Perturbation:
    """Replace one first name from ``pool`` by another from it (rows without one are skipped).

    Example:
        >>> import numpy as np
        >>> out = names()(["Maria loved it", "no name here"], np.random.default_rng(0))
        >>> out[0] != "Maria loved it", out[1]
        (True, None)
    """
    if len(pool) < 2:
        raise TestingError(f"names() needs a pool of at least two names, but got {list(pool)}")
    table = {n.lower(): tuple(o for o in pool if o != n) for n in pool}
    return _Replace("names()", table)


def synonyms(table: Mapping[str, tuple[str, ...]] = SYNONYMS) -> Perturbation:
    """Replace one word by a synonym from ``table`` (rows without a known word are skipped).

    Example:
        >>> import numpy as np
        >>> synonyms()(["a good movie"], np.random.default_rng(0))[0] != "a good movie"
        True
    """
    return _Replace("synonyms()", {k.lower(): tuple(v) for k, v in table.items()})
