"""The public surface of hyperflow.monitor is exactly its __all__."""

from __future__ import annotations

import hyperflow as hf
import hyperflow.monitor as monitor


def test_all_is_exactly_the_public_names() -> None:
    public = {n for n in vars(monitor) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(monitor, n)).__name__ == "module"}
    assert set(monitor.__all__) == public - modules
    assert hf.monitor is monitor and "monitor" in hf.__all__
