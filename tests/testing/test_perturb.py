"""Built-in perturbations: what each changes, what it keeps, and seeded determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hyperflow as hf
from hyperflow.testing import perturb

FRAME = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [10.0, 20.0, 30.0, 40.0], "c": list("wxyz")})


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_noise_is_relative_to_the_column_spread_and_leaves_others() -> None:
    big = pd.DataFrame({"a": np.arange(1000.0), "b": np.zeros(1000)})
    out = perturb.noise("a", scale=0.1)(big, rng())
    diff = out["a"] - big["a"]
    assert diff.std() == pytest.approx(0.1 * big["a"].std(), rel=0.1)
    assert out["b"].equals(big["b"])
    absolute = perturb.noise("a", scale=0.1, relative=False)(big, rng())
    assert (absolute["a"] - big["a"]).std() == pytest.approx(0.1, rel=0.1)


def test_perturbations_do_not_mutate_their_input() -> None:
    before = FRAME.copy()
    perturb.noise(["a", "b"])(FRAME, rng())
    perturb.swap("a", "b")(FRAME)
    assert FRAME.equals(before)


def test_add_scale_swap_shuffle() -> None:
    assert perturb.add("a", 1.5)(FRAME)["a"].tolist() == [2.5, 3.5, 4.5, 5.5]
    assert perturb.scale("b", 0.5)(FRAME)["b"].tolist() == [5.0, 10.0, 15.0, 20.0]
    swapped = perturb.swap("a", "b")(FRAME)
    assert swapped["a"].tolist() == FRAME["b"].tolist()
    assert swapped["b"].tolist() == FRAME["a"].tolist()
    shuffled = perturb.shuffle("c")(FRAME, rng(0))
    assert sorted(shuffled["c"]) == list("wxyz") and shuffled["c"].tolist() != list("wxyz")
    assert shuffled["a"].equals(FRAME["a"])


def test_same_seed_same_perturbation_other_seed_other_one() -> None:
    p = perturb.noise("a")
    assert p(FRAME, rng(3)).equals(p(FRAME, rng(3)))
    assert not p(FRAME, rng(3)).equals(p(FRAME, rng(4)))
    texts = ["the quick brown fox jumps", "a good movie about Maria"] * 5
    for q in (perturb.typos(2), perturb.names(), perturb.synonyms(), perturb.whitespace()):
        assert q(texts, rng(3)) == q(texts, rng(3))


def test_typos_swap_adjacent_letters() -> None:
    out = perturb.typos(n=1)(["perturbation"], rng())[0]
    assert out != "perturbation" and sorted(out) == sorted("perturbation")
    diffs = [i for i, (x, y) in enumerate(zip(out, "perturbation", strict=True)) if x != y]
    assert len(diffs) == 2 and diffs[1] == diffs[0] + 1
    assert perturb.typos()(["a 1 ."], rng()) == [None]  # nothing to misspell: skipped


def test_whitespace_and_punctuation() -> None:
    assert perturb.whitespace()(["no spaces"], rng()) == ["no  spaces "]
    assert perturb.punctuation()(["Great!!"]) == ["Great"]
    assert perturb.punctuation()(["Great"], rng())[0] in ("Great.", "Great!")


def test_names_swap_within_the_builtin_pool_and_keep_case() -> None:
    out = perturb.names()(["I met Maria and John", "nobody here"], rng())
    assert out[1] is None
    changed = out[0]
    assert changed is not None and changed != "I met Maria and John"
    new_words = set(changed.split()) - {"I", "met", "and"}
    assert new_words <= set(perturb.NAMES) and len(new_words) == 2


def test_synonyms_from_the_builtin_table() -> None:
    out = perturb.synonyms()(["Good food"], rng())[0]
    assert out is not None
    first, second = out.split()
    assert (first.lower() in perturb.SYNONYMS["good"] and second == "food") or (
        first == "Good" and second in perturb.SYNONYMS["food"]
    )
    assert first[0].isupper()
    custom = perturb.synonyms({"cat": ("feline",)})(["the cat sat", "a dog"], rng())
    assert custom == ["the feline sat", None]


def test_rowwise_and_chain() -> None:
    shout = perturb.rowwise(str.upper)
    assert shout(["hi"]) == ["HI"] and shout.name == "upper"
    both = perturb.chain(perturb.add("a", 1.0), perturb.scale("a", 10.0))
    assert both(FRAME)["a"].tolist() == [20.0, 30.0, 40.0, 50.0]
    skipped = perturb.chain(perturb.names(), perturb.whitespace())
    assert skipped(["no name", "Hi Tom"], rng())[0] is None


def test_wrong_kind_and_unknown_columns_are_clear_errors() -> None:
    with pytest.raises(hf.TestingError, match="works on tabular inputs"):
        perturb.noise("a")(["text"])
    with pytest.raises(hf.TestingError, match=r"columns \['zz'\].*available columns"):
        perturb.add("zz", 1.0)(FRAME)
    with pytest.raises(hf.TestingError, match="two different columns"):
        perturb.swap("a", "a")
