"""Training a challenger: the champion's config on current data (refit) or a warm search.

The train pipeline runs through the ordinary engine with its content-addressed cache, so
nodes whose inputs did not change are cache hits; :class:`Trained` counts them. The
champion's fitted artifacts are re-scored on the challenger's holdout by running the train
pipeline *without* the artifacts' producers (they become free inputs, fed the champion's
fitted values), so both are scored by the same metrics code on the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hyperflow._errors import RetrainError
from hyperflow.core import Pipeline
from hyperflow.store import MetadataStore, ModelVersion

__all__ = [
    "INPUTS_TAG",
    "RETRAIN_STUDY_TAG",
    "STUDY_TAG",
    "Champion",
    "Trained",
    "champion_of",
    "rescore",
    "search",
    "train_at",
]

#: version tag holding the train inputs (JSON) a retrained version was trained on
INPUTS_TAG = "retrain.inputs"
#: run tags naming the search a run's config came from (a trial's; a retrained run's)
STUDY_TAG, RETRAIN_STUDY_TAG = "hyperflow.study", "retrain.study"


@dataclass(frozen=True)
class Champion:
    """The version being challenged, its run's config and the inputs it was trained on."""

    version: ModelVersion
    config: dict[str, Any]
    inputs: dict[str, Any]
    artifacts: dict[str, Any]
    study: str | None  # the search the champion's config came from
    predictor: Any = None  # hyperflow.registry.Predictor


@dataclass
class Trained:
    """One training run of the challenger: its outputs and what the cache saved."""

    run_id: str
    config: dict[str, Any]
    inputs: dict[str, Any]
    values: dict[str, Any]
    recomputed: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    seconds: float = 0.0
    study: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


def champion_of(
    name: str, alias: str, project_inputs: Mapping[str, Any], store: MetadataStore
) -> Champion:
    """The version at ``name@alias`` with its config, inputs and fitted artifacts."""
    from hyperflow import registry

    try:
        mv = registry.get(f"{name}@{alias}", store=store)
    except Exception as exc:
        raise RetrainError(
            f"cannot retrain {name!r}: no champion at {name}@{alias} ({exc}); register a "
            f"version and set the alias first (hyperflow models alias {name} {alias} VERSION)"
        ) from None
    run = store.get_run(mv.run_id) if mv.run_id else None
    config = dict(run.config if run is not None else mv.lineage.get("config") or {})
    recorded = mv.tags.get(INPUTS_TAG)
    inputs = json.loads(recorded) if recorded else dict(project_inputs)
    predictor = registry.load(mv.ref, store=store)
    if not isinstance(predictor, registry.Predictor):
        raise RetrainError(
            f"{mv.ref} is a service (several endpoints); retraining and the gate take a model "
            "with one predict pipeline"
        )
    tags = run.tags if run is not None else {}
    study = tags.get(STUDY_TAG) or tags.get(RETRAIN_STUDY_TAG)
    return Champion(mv, config, inputs, dict(predictor.artifacts), study, predictor)


def _counts(result: Any) -> tuple[list[str], list[str]]:
    hits = dict(result.cache_hits)
    cached = sorted(k for k, hit in hits.items() if hit)
    return sorted(k for k, hit in hits.items() if not hit), cached


def train_at(
    train: Pipeline,
    config: Mapping[str, Any],
    inputs: Mapping[str, Any],
    outputs: Sequence[str],
    store: MetadataStore,
    tags: Mapping[str, str] | None = None,
    extra: Sequence[str] = (),
) -> Trained:
    """Run ``train`` at ``config`` on ``inputs`` (tracked, cached) for ``outputs``.

    ``extra`` outputs (the holdout rows, the training rows) are read afterwards by an
    untracked run, from the cache: the tracked run stores only what a version binds.
    """
    import time

    known = {k: v for k, v in config.items() if k in set(train.space.keys())}
    t0 = time.perf_counter()
    result = train.run(
        inputs=dict(inputs), config=known, outputs=list(outputs), track=store, tags=tags
    )
    recomputed, cached = _counts(result)
    values = {o: result[o] for o in outputs}
    rest = [o for o in extra if o not in values]
    if rest:
        more = train.run(inputs=dict(inputs), config=known, outputs=rest, track=False)
        values.update({o: more[o] for o in rest})
    return Trained(
        run_id=result.run_id,
        config=dict(result.config),
        inputs=dict(inputs),
        values=values,
        recomputed=recomputed,
        cached=cached,
        seconds=time.perf_counter() - t0,
        tags=dict(tags or {}),
    )


def rescore(
    train: Pipeline,
    artifacts: Mapping[str, Any],
    config: Mapping[str, Any],
    inputs: Mapping[str, Any],
    outputs: Sequence[str],
) -> dict[str, Any]:
    """``outputs`` of ``train`` with the fitted ``artifacts`` substituted for their producers.

    The pipeline without the artifacts' producers takes them as free inputs; everything
    upstream of them (data, split) comes from the cache of the challenger's run.
    """
    missing = [a for a in artifacts if a not in train.producers]
    if missing:
        raise RetrainError(
            f"the champion's artifacts {missing} are not outputs of train pipeline "
            f"{train.name!r} (its outputs: {', '.join(train.producers)}); the gate re-scores "
            "the champion by substituting them"
        )
    nodes = [n for out, ns in train.producers.items() if out not in artifacts for n in ns]
    scoring = Pipeline(nodes, name=f"{train.name}-rescore")
    feed = {k: v for k, v in inputs.items() if k in scoring.inputs}
    feed.update(artifacts)
    known = {k: v for k, v in config.items() if k in set(scoring.space.keys())}
    result = scoring.run(inputs=feed, config=known, outputs=list(outputs), track=False)
    return {o: result[o] for o in outputs}


def _sibling_configs(
    champion: Champion, store: MetadataStore, objective: Any
) -> list[dict[str, Any]]:
    """The best configs of the study the champion's run came from (up to 5)."""
    if champion.study is None:
        return []
    runs = store.search_runs(pipeline=champion.version.lineage.get("pipeline"), limit=100_000)
    scored = []
    for r in runs:
        if r.tags.get(STUDY_TAG) != champion.study or r.status != "finished" or not r.metrics:
            continue
        evaluation = objective.evaluate(r.metrics) if objective.names <= set(r.metrics) else None
        if evaluation is not None and evaluation.feasible and evaluation.values:
            scored.append((evaluation.values[0], r.config))
    maximize = objective.directions[0] == "maximize"
    scored.sort(key=lambda p: p[0], reverse=maximize)
    return [dict(c) for _, c in scored[:5]]


def search(
    train: Pipeline,
    champion: Champion,
    objective: Any,
    inputs: Mapping[str, Any],
    trials: int,
    store: MetadataStore,
    metrics: str,
) -> tuple[dict[str, Any], str]:
    """A search warm-started with the champion's config and its study's best; the best config."""
    import time

    warm = [champion.config, *_sibling_configs(champion, store, objective)]
    name = f"retrain-{champion.version.name}-{time.strftime('%Y%m%d-%H%M%S')}"
    study = train.optimize(
        objective=objective,
        inputs=dict(inputs),
        n_trials=trials,
        warm_start=warm,
        metrics=metrics,
        study=name,
        track=store,
        progress=False,
    )
    return dict(study.best.config), name
