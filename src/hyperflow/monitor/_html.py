"""A self-contained HTML drift report: inline CSS and SVG, no scripts, no raw rows."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from hyperflow._xml import drop_invalid_xml

if TYPE_CHECKING:
    from hyperflow.monitor._report import ColumnDrift, DriftReport

__all__ = ["render_html"]

_W, _H = 360, 80
_CSS = (
    "body{font:14px system-ui,sans-serif;margin:2em;color:#222}"
    "section{border:1px solid #ddd;border-radius:6px;padding:.5em 1em;margin:.6em 0;"
    "display:inline-block;width:380px;vertical-align:top}"
    "h3{margin:.2em 0;font-size:15px}.d{color:#b00}.k{color:#080}.w{color:#a60}"
    "p{margin:.2em 0;font-size:12px}small{color:#666}"
    ".r{fill:#9aa}.c{fill:#d55;fill-opacity:.7}"
)


def _escape(text: str) -> str:
    """``text`` for HTML: escaped, without characters that HTML/XML cannot carry."""
    return html.escape(drop_invalid_xml(text))


def _fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:.4g}"


def _bars(ref: list[float], cur: list[float]) -> str:
    n = max(len(ref), 1)
    slot = _W / n
    top = max([*ref, *cur, 1e-12])
    paths = []
    for series, off in ((ref, 0.0), (cur, slot / 2)):
        parts = []
        for i, v in enumerate(series):
            h = round((_H - 4) * max(v, 0.0) / top, 1)
            if h > 0:
                parts.append(f"M{i * slot + off:.1f} {_H}v-{h}h{slot / 2 - 1:.1f}v{h}z")
        paths.append("".join(parts))
    return (
        f'<svg width="{_W}" height="{_H + 2}" viewBox="0 0 {_W} {_H + 2}">'
        f'<path class="r" d="{paths[0]}"/><path class="c" d="{paths[1]}"/>'
        f'<path d="M0 {_H}h{_W}" stroke="#888"/></svg>'
    )


def _column(c: ColumnDrift) -> str:
    if c.drifted:
        verdict = '<b class="d">drifted</b>'
    elif c.status in ("ok", "constant"):
        verdict = '<b class="k">stable</b>'
    else:
        verdict = f'<b class="w">{_escape(c.status)}</b>'
    p = "" if c.p_value is None else f" · p={_fmt(c.p_value)} (adj. {_fmt(c.p_value_adjusted)})"
    missing = " · <b class='w'>missing-value rate changed</b>" if c.missing_rate_drifted else ""
    out = [
        f"<section><h3>{_escape(c.name)} {verdict}</h3>",
        f"<p>{_escape(c.role)} · {_escape(c.kind)} · test <b>{_escape(str(c.test))}</b> · "
        f"statistic {_fmt(c.statistic)}{p} · score {_fmt(c.score)} vs {_fmt(c.threshold)}</p>",
        f"<p>NaN {c.nan_rate:.2%} (ref {c.reference_nan_rate:.2%}) · inf {c.inf_rate:.2%}"
        f"{missing} · n={c.n_current} vs {c.n_reference}</p>",
        f"<p><small>{_escape(c.reason)}</small></p>",
    ]
    labels = c.summary.get("labels", [])
    if labels:
        out.append(_bars(c.summary["reference"], c.summary["current"]))
        out.append(
            f"<p><small>{_escape(str(labels[0]))} … {_escape(str(labels[-1]))} · "
            "grey: reference, red: current (shares per bin)</small></p>"
        )
    out.append("</section>")
    return "".join(out)


def render_html(report: DriftReport) -> str:
    """The whole report as one HTML string, columns in severity order."""
    verdict = "DRIFT DETECTED" if report.drifted else "no dataset drift"
    head = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>hyperflow drift report</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Drift report: <span class='{'d' if report.drifted else 'k'}'>{verdict}</span></h1>",
        f"<p>{report.n_drifted} of {len(report.tested)} columns drifted (share "
        f"{report.share_drifted:.2f}; dataset threshold {report.drift_share}) · alpha "
        f"{report.alpha} with {_escape(report.correction)} correction · {report.n_reference} "
        f"reference rows vs {report.n_current} current rows</p>",
    ]
    if report.missing_columns:
        head.append(
            f"<p class='w'>Missing in current: {_escape(', '.join(report.missing_columns))}</p>"
        )
    if report.extra_columns:
        extra = _escape(", ".join(report.extra_columns))
        head.append(f"<p class='w'>Not in reference: {extra}</p>")
    body = [_column(c) for c in report.columns.values()]
    return "".join(head) + "".join(body) + "</body></html>"
