"""Write a benchmark's table into README.md between its markers (shared by every benchmark)."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def markers(name: str) -> tuple[str, str]:
    """The begin and end markers of a README section, e.g. ``storage-benchmark``."""
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def update_section(name: str, text: str, *, readme: Path = README) -> bool:
    """Replace the text between the section's markers; False when the markers are missing."""
    begin, end = markers(name)
    content = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    if not pattern.search(content):
        return False
    block = f"{begin}\n{text.strip()}\n{end}"
    readme.write_text(pattern.sub(lambda _: block, content), encoding="utf-8")
    return True
