"""Text made safe for XML/SVG/HTML character data: characters XML cannot hold are dropped.

XML 1.0 allows tab, newline, carriage return and the printable planes only; a
C0 control character (say a run named ``"run\\x1b[31m"``) makes a whole SVG
unparsable. C1 controls and DEL are valid XML but parse errors in HTML and
invisible anyway, so they go too. Escaping ``<``, ``&`` and quotes is the
writer's job; this only removes what no escape can represent.
"""

from __future__ import annotations

import re

__all__ = ["drop_invalid_xml"]

# C0 controls except \t \n \r, DEL and C1 controls, lone surrogates, U+FFFE and U+FFFF
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def drop_invalid_xml(text: str) -> str:
    """``text`` without the characters XML 1.0 (or HTML) cannot carry.

    Example:
        >>> drop_invalid_xml("run\\x1b[31m\\x00 ok\\tdone")
        'run[31m ok\\tdone'
    """
    return _INVALID.sub("", text)
