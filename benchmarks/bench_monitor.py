"""One monitoring check over a large window of the SQLite prediction log vs Evidently.

Run: ``python benchmarks/bench_monitor.py [--rows 1000000] [--evidently-python PY]``.

The window holds ``--rows`` logged predictions × 20 numeric + 5 categorical request
fields (a few of them drifted), in a SQLite prediction log; the reference profile (50,000
rows) is stored with the version. Each side runs in its own process (peak RSS is the
process's ``ru_maxrss``):

* hyperflow: ``hf.monitor.check("bench:1.0.0", window=...)`` end to end: reading the log
  in chunks, drift per column with calibrated thresholds, figures. The first check of a
  version at a window size also calibrates its threshold (resampling, then kept with the
  version's profile): reported apart as ``first_check_seconds``; ``seconds`` is a check
  with the threshold known (every later check);
* Evidently: ``Report([DataDriftPreset()])`` on the same columns, the window read from the
  same SQLite file into a DataFrame (part of its time) and the reference from parquet.

Targets: hyperflow ≤ 10 s, ≤ 0.2× Evidently, peak RSS ≤ 1 GB. Evidently lives in the
``bench`` extra (``--evidently-python`` runs it from another environment when its pandas
pin differs from the project's).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NUM, CAT = [f"f{i}" for i in range(20)], [f"c{i}" for i in range(5)]
T0 = 1_700_000_000.0


def _frame(n: int, seed: int, drift: bool) -> object:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    cols: dict[str, object] = {}
    for i, c in enumerate(NUM):
        shift = 0.3 if drift and i < 3 else 0.0
        cols[c] = np.round(rng.normal(shift, 1.0 + 0.1 * i, n), 4)
    for i, c in enumerate(CAT):
        cats = [f"v{j}" for j in range(4 + i)]
        p = np.ones(len(cats))
        if drift and i == 0:
            p[0] = 3.0
        cols[c] = np.asarray(cats)[rng.choice(len(cats), n, p=p / p.sum())]
    return pd.DataFrame(cols)


def build(folder: Path, rows: int) -> str:
    """The SQLite log (``rows`` predictions), the stored reference and its parquet copy."""
    import hyperflow as hf
    from hyperflow.store import PredictionRecord, SQLPredictionLog

    url = f"sqlite:///{folder}/bench.db"
    ref = _frame(50_000, 0, False)
    ref.to_parquet(folder / "reference.parquet")  # type: ignore[attr-defined]
    hf.monitor.profile_version("bench", "1.0.0", ref, store=url)
    log = SQLPredictionLog(url)
    from datetime import UTC, datetime

    step = 100_000
    for start in range(0, rows, step):
        cur = _frame(min(step, rows - start), 1 + start, True)
        recs = [
            PredictionRecord(
                f"r{start + i}", "bench", "1.0.0",
                datetime.fromtimestamp(T0 + (start + i) * 0.01, UTC), 1.0 + (i % 7),
                json.dumps(row), json.dumps(i % 3),
            )
            for i, row in enumerate(cur.to_dict("records"))  # type: ignore[attr-defined]
        ]
        log.write(recs)
    return url


HF_SIDE = """
import json, resource, sys, time
from datetime import UTC, datetime
import hyperflow as hf
from hyperflow.monitor import MonitorConfig
url, end = sys.argv[1], float(sys.argv[2])
until = datetime.fromtimestamp(end, UTC)
t = time.perf_counter()
c = hf.monitor.check("bench:1.0.0", window="30d", until=until, store=url, config=MonitorConfig(),
                     notify=False)
first = time.perf_counter() - t
t = time.perf_counter()  # the same window again (not stored): thresholds come from the store
c = hf.monitor.check("bench:1.0.0", window="30d", until=until, store=url, config=MonitorConfig(),
                     save=False)
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "first_check_seconds": first,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "requests": c.figures["requests"], "drift.share": c.figures["drift.share"],
                  "drifted": [t["column"] for t in c.figures["drift.top"] if t["drifted"]]}))
"""

EV_SIDE = """
import json, resource, sqlite3, sys, time
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
db, ref_path = sys.argv[1], sys.argv[2]
t = time.perf_counter()
con = sqlite3.connect(db)
rows = [json.loads(r[0]) for r in con.execute("SELECT inputs FROM hf_predictions ORDER BY id")]
cur = pd.DataFrame.from_records(rows)
ref = pd.read_parquet(ref_path)
snap = Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
out = snap.dict()
dt = time.perf_counter() - t
share = next((m["value"] for m in out["metrics"] if "DriftedColumnsCount" in m["metric_name"]), None)
print(json.dumps({"seconds": dt, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "rows": len(cur), "drifted": share}, default=str))
"""


def _side(python: str, code: str, *args: str) -> dict[str, object]:
    env = {"PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([python, "-c", code, *args], capture_output=True, text=True, env=env,
                         check=False)
    if out.returncode != 0:
        raise SystemExit(f"{python} failed:\n{out.stderr[-3000:]}")
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--evidently-python", default=sys.executable)
    ap.add_argument("--skip-evidently", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        url = build(folder, args.rows)
        print(f"built {args.rows:,} logged predictions in {time.perf_counter() - t:.1f} s")
        end = T0 + args.rows * 0.01 + 1
        ours = _side(sys.executable, HF_SIDE, url, str(end))
        print(f"hyperflow check: {json.dumps(ours)}")
        if args.skip_evidently:
            return
        theirs = _side(args.evidently_python, EV_SIDE, str(folder / "bench.db"),
                       str(folder / "reference.parquet"))
        print(f"evidently DataDriftPreset: {json.dumps(theirs)}")
        ratio = float(ours["seconds"]) / float(theirs["seconds"])  # type: ignore[arg-type]
        print(f"ratio hyperflow/evidently: {ratio:.3f} (target <= 0.2); "
              f"hyperflow {ours['seconds']:.2f} s (target <= 10), "
              f"peak RSS {ours['rss_mb']:.0f} MB (target <= 1024)")


if __name__ == "__main__":
    main()
