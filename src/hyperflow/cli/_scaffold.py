"""``hyperflow init NAME``: a working project in a new folder."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

from hyperflow.cli._ci import write_ci
from hyperflow.cli._project import ProjectError

__all__ = ["TEMPLATES", "bundle_template", "scaffold"]

TEMPLATES = ("iris", "docqa")
"""The project templates ``hyperflow init --template`` knows."""

_DOCQA_PACKAGE = "examples.docqa"
_BUNDLED = (".py", ".json")

_PIPELINE = '''"""{name}: a hyperflow workflow; the graph follows the functions' names."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np

import hyperflow as hf


def dataset(seed: int = 0) -> dict[str, np.ndarray]:
    """scikit-learn's bundled iris data, split 75/25 (stratified)."""
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    x, y = load_iris(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, stratify=y, random_state=seed)
    return {{"x_train": xtr, "x_test": xte, "y_train": ytr, "y_test": yte}}


@hf.node(output="model", variant="logreg")
def logreg(
    dataset: dict[str, np.ndarray], C: Annotated[float, hf.Float(1e-3, 1e2, log=True)] = 1.0
) -> Any:
    """Logistic regression."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=500).fit(dataset["x_train"], dataset["y_train"])


@hf.node(output="model", variant="tree")
def tree(dataset: dict[str, np.ndarray], max_depth: Annotated[int, hf.Int(1, 8)] = 3) -> Any:
    """A decision tree."""
    from sklearn.tree import DecisionTreeClassifier

    return DecisionTreeClassifier(max_depth=max_depth, random_state=0).fit(
        dataset["x_train"], dataset["y_train"]
    )


def metrics(model: Any, dataset: dict[str, np.ndarray]) -> dict[str, float]:
    """Held-out accuracy."""
    return {{"accuracy": float(model.score(dataset["x_test"], dataset["y_test"]))}}


def prediction(model: Any, sepal_length: float, sepal_width: float, petal_length: float,
               petal_width: float) -> int:
    """The predicted class of one flower."""
    row = [[sepal_length, sepal_width, petal_length, petal_width]]
    return int(model.predict(row)[0])


train = hf.Pipeline([dataset, logreg, tree, metrics], name="{name}-train")
predict = hf.Pipeline([prediction], name="{name}-predict")
'''

_PYPROJECT = """[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["hyperflow", "scikit-learn"]

[tool.hyperflow]
name = "{name}"
train = "{module}:train"
predict = "{module}:predict"
objective = "accuracy"
direction = "maximize"
artifacts_out = ["model"]

[tool.hyperflow.optimize]
trials = 20
sampler = "tpe"
seed = 0
"""

_TEST = """from {module} import train


def test_every_variant_runs() -> None:
    for variant in ("logreg", "tree"):
        result = train.run(config={{"model": variant}}, outputs=["metrics"], track=False)
        assert 0.5 < result["metrics"]["accuracy"] <= 1.0
"""


_DOCQA_PYPROJECT = """[project]
name = "{name}"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["hyperflow[docqa]"]

[tool.hyperflow]
name = "{name}"
train = "{module}.pipeline:evaluate"
predict = "{module}.pipeline:query"
objective = "recall_at_5 - 0.001 * p95_ms"
direction = "maximize"
artifacts_out = []

[tool.hyperflow.optimize]
trials = 20
sampler = "tpe"
seed = 0
"""

_DOCQA_TEST = """from {module} import ingest, query
from {module}.store import MemoryDocumentStore


def test_upload_then_ask() -> None:
    store = MemoryDocumentStore()
    text = b"# Loops\\n\\nA for loop walks an iterable.\\n\\n# Errors\\n\\nfinally always runs."
    doc = ingest.run(inputs={{"file": text, "filename": "notes.md", "store": store}},
                     config={{"chunks": "heading"}}, track=False)["document_id"]
    answer = query.run(inputs={{"document_id": doc, "query": "what always runs?",
                                "output_format": "json", "store": store}},
                       config={{"retriever": "bm25"}}, track=False, cache=False)["answer"]
    assert "finally always runs" in answer["passages"][0]["text"]
"""


def bundle_template(folder: Path) -> dict[str, str]:
    """The files of the docqa example in ``folder`` as ``{name: text}`` (what ships)."""
    return {
        p.name: p.read_text(encoding="utf-8")
        for p in sorted(folder.iterdir())
        if p.suffix in _BUNDLED and p.is_file()
    }


def _docqa(target: Path, name: str, module: str) -> None:
    bundle = resources.files("hyperflow.cli").joinpath("templates", "docqa.json")
    files: dict[str, str] = json.loads(bundle.read_text(encoding="utf-8"))
    package = target / module
    package.mkdir()
    for filename, text in files.items():
        (package / filename).write_text(text.replace(_DOCQA_PACKAGE, module), encoding="utf-8")
    (target / "pyproject.toml").write_text(
        _DOCQA_PYPROJECT.format(name=name, module=module), encoding="utf-8"
    )
    (target / "tests" / f"test_{module}.py").write_text(
        _DOCQA_TEST.format(module=module), encoding="utf-8"
    )


_BEHAVIOUR = """\"\"\"Behavioural suite (hf.testing): simple cases right, noise ignored.\"\"\"

import pandas as pd

import hyperflow as hf
from {module} import prediction, train

FLOWERS = pd.DataFrame(
    {{
        "sepal_length": [5.1, 6.0, 6.7],
        "sepal_width": [3.5, 2.9, 3.1],
        "petal_length": [1.4, 4.5, 5.6],
        "petal_width": [0.2, 1.5, 2.4],
    }}
)


def test_the_model_behaves() -> None:
    model = train.run(outputs=["model"], track=False)["model"]

    def predictor(rows: pd.DataFrame) -> list[int]:
        return [prediction(model, **row) for row in rows.to_dict("records")]

    suite = hf.testing.Suite(
        "{name}",
        [
            hf.testing.mft([(dict(FLOWERS.iloc[0]), 0), (dict(FLOWERS.iloc[2]), 2)]),
            hf.testing.invariance(FLOWERS, hf.testing.perturb.noise("sepal_width", scale=0.01)),
        ],
    )
    result = suite.run(predictor)
    assert result.passed, result
"""


def scaffold(name: str, parent: Path, template: str = "iris") -> Path:
    """Create ``parent/name`` from ``template``: a pipeline package, project config, a test,
    and CI workflows (GitHub Actions, GitLab CI); ``"iris"`` also gets a behavioural suite
    (``tests/behaviour``).

    ``"iris"``: two model variants over scikit-learn's iris data. ``"docqa"``: the
    document Q&A example (``examples/docqa``): ingest/query pipelines, chunker and
    retriever variants, and labelled questions to search them on.
    """
    if template not in TEMPLATES:
        raise ProjectError(f"unknown template {template!r}; choose one of {', '.join(TEMPLATES)}")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", name):
        raise ProjectError(
            f"a project name starts with a letter and holds letters, digits, '-' or '_', "
            f"but got {name!r}"
        )
    target = parent / name
    if target.exists():
        raise ProjectError(f"{target} already exists; choose another name or remove it")
    (target / "tests").mkdir(parents=True)
    (target / ".gitignore").write_text(".hyperflow/\n__pycache__/\n", encoding="utf-8")
    if template == "docqa":
        _docqa(target, name, name.replace("-", "_").lower())
        write_ci(target, name)
        return target
    module = name.replace("-", "_").lower() + "_pipeline"
    (target / f"{module}.py").write_text(_PIPELINE.format(name=name), encoding="utf-8")
    (target / "pyproject.toml").write_text(
        _PYPROJECT.format(name=name, module=module), encoding="utf-8"
    )
    (target / "tests" / f"test_{module}.py").write_text(
        _TEST.format(module=module), encoding="utf-8"
    )
    (target / "tests" / "behaviour").mkdir()
    (target / "tests" / "behaviour" / "test_behaviour.py").write_text(
        _BEHAVIOUR.format(name=name, module=module), encoding="utf-8"
    )
    (target / ".gitignore").write_text(".hyperflow/\nbuild/\n__pycache__/\n", encoding="utf-8")
    write_ci(target, name)
    return target


if __name__ == "__main__":  # python -m hyperflow.cli._scaffold: refresh the docqa bundle
    import sys

    source = Path(sys.argv[1] if len(sys.argv) > 1 else "examples/docqa")
    out = Path(__file__).with_name("templates") / "docqa.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(bundle_template(source), indent=0) + "\n", encoding="utf-8")
    print(f"wrote {out}")
