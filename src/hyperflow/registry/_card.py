"""Model cards: what the registry knows about one version, as Markdown or HTML.

After Mitchell et al., "Model Cards for Model Reporting" (2019) and the Hugging
Face model card: intended use and limitations (written by people, see
``hf.registry.describe``), training data lineage, config, metrics (with
confidence intervals where recorded), behavioural-suite and fairness results,
aliases and their history, drift checks and alerts since deployment (read from the
monitoring store), and the environment. Nothing is invented: a section
with nothing recorded says so, and how to record it.

The card is built as plain :class:`Section` data first and rendered second, so
Markdown and HTML say the same thing. In HTML every value is escaped.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

from hyperflow._errors import RegistryError
from hyperflow.registry._card_data import DATA_NOTE_KEY, DATA_SUMMARY_KEY
from hyperflow.registry._card_monitor import monitoring_section
from hyperflow.registry._common import StoreArg, catalog_of
from hyperflow.registry._governance import audit_store_of
from hyperflow.registry._render import render_html, render_markdown
from hyperflow.store import ModelVersion, RegistryStore

__all__ = ["CARD_FORMATS", "Section", "card", "card_sections"]

CARD_FORMATS = ("md", "html")
Table = tuple[list[str], list[list[str]]]


@dataclass
class Section:
    """One part of a card: a title, paragraphs, and tables (headers, rows)."""

    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def _when(t: float | None) -> str:
    if not t:
        return ""
    return _dt.datetime.fromtimestamp(t, _dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _text(v: Any) -> str:
    if isinstance(v, float):
        return "n/a" if math.isnan(v) else f"{v:.4g}"
    if isinstance(v, dict | list):
        return json.dumps(v, sort_keys=True, default=str)
    return "" if v is None else str(v)


def _kv(mapping: dict[str, Any], key: str = "key", value: str = "value") -> Table:
    return [key, value], [[str(k), _text(v)] for k, v in sorted(mapping.items())]


def _overview(mv: ModelVersion) -> Section:
    rows = {
        "version": mv.version,
        "status": mv.status,
        "aliases": ", ".join(mv.aliases) or "none",
        "registered": f"{_when(mv.created_at)} by {mv.created_by or 'unknown'}",
        "run": mv.run_id,
        "predict pipeline": f"{mv.predict_ref} (code version {mv.code_version})",
        "description": mv.description or "",
    }
    rows.update({f"tag {k}": v for k, v in sorted(mv.tags.items())})
    return Section("Overview", tables=[_kv(rows, "field")])


def _documentation(docs: dict[str, str], ref: str) -> list[Section]:
    missing = f"Not written yet: hf.registry.describe({ref!r}, intended_use=..., limitations=...)."
    return [
        Section("Intended use", [docs.get("intended_use") or missing]),
        Section("Limitations", [docs.get("limitations") or missing]),
    ]


def _span(entry: dict[str, Any]) -> str:
    if not entry.get("date_min"):
        return "no datetime column"
    return f"{entry['date_min']} to {entry['date_max']} ({entry['date_column']})"


def _data(mv: ModelVersion) -> Section:
    """The data the run consumed: summaries (rows, dates) and the inputs' fingerprints."""
    lin = mv.lineage
    section = Section("Training data")
    summary: dict[str, dict[str, Any]] = dict(lin.get(DATA_SUMMARY_KEY) or {})
    inputs: dict[str, str] = lin.get("data") or {}
    rows = [
        [name, str(e.get("source", "")), str(e.get("rows", "")), _span(e),
         str(e.get("fingerprint", ""))]
        for name, e in sorted(summary.items())
    ]
    rows += [[k, "input", "", "", str(v)] for k, v in sorted(inputs.items()) if k not in summary]
    if not inputs:
        section.paragraphs.append("The training run recorded no input fingerprints.")
    if summary:
        section.paragraphs.append(
            "The data the run consumed: its inputs, and the outputs of the nodes the "
            "registered artifacts depend on (DataFrames and arrays, with their rows)."
        )
    else:
        section.paragraphs.append("Row counts and date ranges were not recorded.")
    if lin.get(DATA_NOTE_KEY):
        section.paragraphs.append(f"Note: {lin[DATA_NOTE_KEY]}.")
    if rows:
        section.tables.append((["data", "from", "rows", "date range", "fingerprint"], rows))
    return section


def _config(mv: ModelVersion) -> Section:
    config = mv.lineage.get("config") or {}
    if not config:
        return Section("Config", ["The run used the pipeline's defaults (no config recorded)."])
    return Section("Config", tables=[_kv(config, "key")])


_BOUNDS = (("_ci_low", "_ci_high"), (".ci_low", ".ci_high"), ("_low", "_high"))
_SPREAD = ".std"


def _interval(metrics: dict[str, float], key: str) -> str:
    for low, high in _BOUNDS:
        lo, hi = metrics.get(key + low), metrics.get(key + high)
        if lo is not None and hi is not None:
            return f"[{_text(lo)}, {_text(hi)}]"
    if key + _SPREAD in metrics:
        return f"± {_text(metrics[key + _SPREAD])} (std across folds)"
    return "not recorded"


def _metrics(mv: ModelVersion) -> Section:
    """Metrics, each with its interval: ``<k>_ci_low``/``<k>_ci_high`` (or ``.ci_low``,
    ``_low``/``_high``) bound it; ``<k>.std`` (``hf.folds``) gives the spread over folds."""
    metrics = dict(mv.metrics)
    bound = {
        key + s
        for key in metrics
        for pair in _BOUNDS
        if all(key + p in metrics for p in pair)
        for s in pair
    }
    bound |= {key + _SPREAD for key in metrics}
    rows = [
        [key, _text(metrics[key]), _interval(metrics, key)]
        for key in sorted(metrics)
        if key not in bound
    ]
    if not rows:
        return Section("Metrics", ["The training run logged no metrics."])
    return Section("Metrics", tables=[(["metric", "value", "95% interval"], rows)])


def _suites(results: list[dict[str, Any]]) -> Section:
    if not results:
        return Section(
            "Behavioural tests",
            ["No suite result recorded (hf.registry.record_suite_result)."],
        )
    rows = [
        [
            str(r["suite_ref"]),
            "passed" if r["passed"] else "FAILED",
            f"{r['pass_rate']:.1%}",
            _when(r["at"]),
        ]
        for r in results
    ]
    return Section("Behavioural tests", tables=[(["suite", "verdict", "pass rate", "at"], rows)])


def _fairness(results: list[dict[str, Any]]) -> Section:
    if not results:
        return Section(
            "Fairness", ["No fairness result recorded (hf.testing.fairness + record_fairness)."]
        )
    section = Section("Fairness")
    latest = json.loads(results[0]["result"])
    section.paragraphs.append(
        f"Check {latest['name']!r} over {', '.join(latest['sensitive'])}, recorded "
        f"{_when(results[0]['at'])} ({len(results)} result(s) in all)."
    )
    rows = []
    for m in latest["metrics"]:
        ci = latest.get("difference_ci", {}).get(m)
        rows.append(
            [
                m,
                _text(latest["difference"].get(m)),
                f"[{_text(ci[0])}, {_text(ci[1])}]" if ci else "",
                _text(latest["ratio"].get(m)),
            ]
        )
    section.tables.append((["metric", "max difference", "95% interval", "ratio"], rows))
    groups = [
        [", ".join(f"{k}={v}" for k, v in g["group"].items()), str(g["n"])]
        + [_text(g["values"].get(m)) for m in latest["metrics"]]
        + ["too few rows: not compared" if g["small"] else ""]
        for g in latest["groups"]
    ]
    section.tables.append((["group", "rows", *latest["metrics"], "note"], groups))
    return section


def _aliases(catalog: RegistryStore, mv: ModelVersion, known: set[str]) -> Section:
    rows: list[list[str]] = []
    for alias in sorted(known - {"latest"}):
        try:
            moves = catalog.history(mv.name, alias)
        except RegistryError:
            continue
        rows.extend(
            [
                alias,
                m.action.value,
                m.from_version or "",
                m.to_version or "",
                m.who or "",
                _when(m.at),
                m.reason or "",
            ]
            for m in moves
            if mv.version in (m.from_version, m.to_version)
        )
    if not rows:
        return Section("Aliases", ["No alias has pointed at this version."])
    head = ["alias", "action", "from", "to", "who", "at", "reason"]
    return Section("Aliases", tables=[(head, rows)])


def _environment(mv: ModelVersion) -> Section:
    lin = mv.lineage
    env = dict(lin.get("environment") or {})
    packages = env.pop("packages", None)
    section = Section("Environment", tables=[_kv(env, "what")])
    if isinstance(packages, dict):
        section.tables.append(_kv(packages, "package", "version"))
    git = lin.get("git")
    if git:
        section.tables.append(_kv(git, "git"))
    arts = {a: f"{v.get('format')} sha256:{v.get('digest')}" for a, v in mv.artifacts.items()}
    section.tables.append(_kv(arts, "artifact", "stored as"))
    return section


def card_sections(ref: str, *, store: StoreArg = None) -> tuple[str, list[Section]]:
    """The card of ``ref`` as a title and its sections (what :func:`card` renders)."""
    from hyperflow.registry._api import get

    mv = get(ref, store=store)
    catalog = catalog_of(store)
    audit = audit_store_of(store)
    known = {a for v in catalog.versions(mv.name) for a in v.aliases}
    known |= {e.target.partition("@")[2] for e in audit.events(action="alias.")}
    sections = [
        _overview(mv),
        *_documentation(audit.documentation(mv.name, mv.version), mv.ref),
        _data(mv),
        _config(mv),
        _metrics(mv),
        _suites(catalog.suite_results(mv.name, mv.version)),
        _fairness(audit.fairness_results(mv.name, mv.version)),
        _aliases(catalog, mv, {a for a in known if a}),
        monitoring_section(store, catalog, mv, {a for a in known if a}),
        _environment(mv),
    ]
    return f"Model card: {mv.ref}", sections


def card(ref: str, *, format: Literal["md", "html"] = "md", store: StoreArg = None) -> str:
    """The model card of a version, as Markdown (``"md"``) or a standalone HTML page.

    Example:
        >>> import hyperflow as hf
        >>> print(hf.registry.card("weather:1.2.0"))  # doctest: +SKIP
        # Model card: weather:1.2.0
        ...
    """
    if format not in CARD_FORMATS:
        raise RegistryError(f"format= must be one of {CARD_FORMATS}, but got {format!r}")
    title, sections = card_sections(ref, store=store)
    if format == "html":
        return render_html(title, sections)
    return render_markdown(title, sections)
