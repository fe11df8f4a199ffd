"""Escaping and the few tags every view uses.

:func:`esc` is the only way text enters HTML in this package: it escapes ``& < > " '`` so a
ledger string such as ``<img src=x onerror=alert(1)>`` is shown as text, never parsed as markup.
Attribute values are escaped the same way and always written inside double quotes.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

PASS_ICON = "✓"
FAIL_ICON = "✗"


def esc(value: object) -> str:
    """``value`` as text that is safe inside an element or a double-quoted attribute."""
    return html.escape(str(value), quote=True)


def tag(name: str, body: str = "", *, cls: str = "", id_: str = "", title: str = "") -> str:
    """``<name class=... id=... title=...>body</name>``; ``body`` is HTML the caller built.

    ``name`` and ``id_``/``cls`` are the package's own identifiers; ``title`` is escaped.
    """
    attrs = ""
    if id_:
        attrs += f' id="{esc(id_)}"'
    if cls:
        attrs += f' class="{esc(cls)}"'
    if title:
        attrs += f' title="{esc(title)}"'
    return f"<{name}{attrs}>{body}</{name}>"


def text(name: str, content: object, *, cls: str = "", id_: str = "", title: str = "") -> str:
    """An element holding escaped text."""
    return tag(name, esc(content), cls=cls, id_=id_, title=title)


def join(parts: Iterable[str]) -> str:
    return "".join(parts)


def verdict(ok: bool) -> str:
    """The pass/fail word with its icon, so the state never relies on colour alone."""
    return f"{PASS_ICON} PASS" if ok else f"{FAIL_ICON} FAIL"


def state_class(ok: bool) -> str:
    return "cl-pass" if ok else "cl-fail"


def callout(kind: str, title: str, body_html: str, *, id_: str = "") -> str:
    """A coloured box (``kind``: info, warn, danger, success, sample) with a title in text."""
    return tag(
        "div",
        text("div", title, cls="cl-callout-title") + tag("div", body_html, cls="cl-callout-body"),
        cls=f"cl-callout cl-{kind}",
        id_=id_,
    )


def counted(count: int, noun: str, nouns: str = "") -> str:
    """``count`` with its noun, singular or plural and with thousands separators:
    ``counted(1, "control")`` is "1 control", ``counted(7000, "cell")`` "7,000 cells"."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


def paragraphs(*lines: str) -> str:
    """Escaped paragraphs."""
    return join(text("p", line) for line in lines if line)
