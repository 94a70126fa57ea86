"""Small real models for the behavioural tests: a text sentiment classifier, weather data."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

POSITIVE = [
    "I love this movie, it is great",
    "What a wonderful film, truly excellent",
    "The food was good and the staff were friendly",
    "A beautiful story, I enjoyed every minute",
    "Great service, happy with the purchase",
    "The book is funny and smart",
    "Excellent acting and a lovely plot",
    "I like it a lot, very good",
    "Such a nice and cheerful place",
    "The team was kind and helpful, great experience",
    "Best meal I have had in years, delicious",
    "Fantastic product, works perfectly",
    "Really good value, I am glad I bought it",
    "An amazing and delightful show",
]
NEGATIVE = [
    "I hate this movie, it is terrible",
    "What an awful film, truly dreadful",
    "The food was bad and the staff were rude",
    "A boring story, I regret every minute",
    "Terrible service, unhappy with the purchase",
    "The book is dull and stupid",
    "Horrible acting and a weak plot",
    "I dislike it a lot, very bad",
    "Such a dirty and gloomy place",
    "The team was rude and useless, awful experience",
    "Worst meal I have had in years, disgusting",
    "Broken product, does not work",
    "Poor value, I regret buying it",
    "A dreadful and tedious show",
]


@pytest.fixture(scope="session")
def sentiment() -> Any:
    """A TF-IDF (word and character n-grams) + logistic regression sentiment model."""
    texts = POSITIVE + NEGATIVE
    labels = ["pos"] * len(POSITIVE) + ["neg"] * len(NEGATIVE)
    model = make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=True),
        LogisticRegression(C=10.0, max_iter=1000),
    )
    return model.fit(texts, labels)


@pytest.fixture(scope="session")
def text_predictor(sentiment: Any) -> Any:
    """Texts in, ``{"label", "pos"}`` out (probability of the positive class)."""

    def predict(texts: list[str]) -> list[dict[str, Any]]:
        proba = sentiment.predict_proba(texts)[:, list(sentiment.classes_).index("pos")]
        return [{"label": "pos" if p >= 0.5 else "neg", "pos": float(p)} for p in proba]

    return predict


@pytest.fixture(scope="session")
def seattle() -> pd.DataFrame:
    from vega_datasets import data

    df: pd.DataFrame = data.seattle_weather()
    return df
