"""A module-level suite, loadable by reference (``tests.testing.suites:registry_suite``)."""

from __future__ import annotations

import hyperflow as hf

registry_suite = hf.testing.Suite(
    "registry-demo",
    [
        hf.testing.mft(
            cases=[
                ({"x": 1.0, "group": "a"}, lambda y: y > 0),
                ({"x": 0.0, "group": "b"}, lambda y: y >= 0),
            ],
            min_pass_rate=1.0,
        ),
    ],
)
