"""``python -m examples.docqa``: score every variant, search, and report on held-out questions.

1. every chunker × retriever at its defaults, on the search and held-out questions;
2. ``evaluate.optimize`` on the search questions (``--trials``, TPE, objective
   ``recall_at_5 - 0.001 * p95_ms``; ``--sizes`` also searches chunk sizes);
3. the best configuration against the TF-IDF baseline on the held-out questions;
4. with ``--register docs``: the best configuration registered as the service
   ``docs@production`` (``examples.docqa.service``), for ``hyperflow serve docs@production``.

MiniLM vectors are cached by passage content under ``DOCQA_VECTORS`` (default
``.hyperflow/docqa-vectors``): the first run encodes each distinct chunking once.
"""

from __future__ import annotations

import argparse

from examples.docqa.pipeline import OBJECTIVE
from examples.docqa.study import BASELINE, COLUMNS, held_out, markdown, search, variant_table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m examples.docqa", description=__doc__)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--sizes", action="store_true", help="also search chunk sizes")
    parser.add_argument("--skip-table", action="store_true")
    parser.add_argument("--objective", default=OBJECTIVE, help="expression to maximize")
    parser.add_argument("--chunks", choices=["fixed", "heading", "sentences"], help="hold it")
    parser.add_argument(
        "--register", metavar="NAME", help="register the best config as service NAME@production"
    )
    args = parser.parse_args(argv)
    if not args.skip_table:
        rows = variant_table()
        print(markdown(rows, ("chunks", "retriever", "split", *COLUMNS)), flush=True)
    held = {"chunks": args.chunks} if args.chunks else None
    study = search(args.trials, sizes=args.sizes, fixed=held, objective=args.objective)
    best = dict(study.best.config)
    print(f"\nbest of {len(study.trials)} trials: {best} (objective {study.best.value:.4f})")
    rows = [
        {"config": "TF-IDF baseline", **held_out(BASELINE)},
        {"config": "best of the search", **held_out(best)},
    ]
    print(markdown(rows, ("config", *COLUMNS)))
    if args.register:
        from examples.docqa.service import register

        scores = {f"heldout_{k}": float(v) for k, v in rows[1].items() if k in COLUMNS}
        version = register(best, name=args.register, metrics=scores)
        print(
            f"registered {args.register}:{version} as {args.register}@production; serve it "
            f"with: hyperflow serve {args.register}@production"
        )


if __name__ == "__main__":
    main()
