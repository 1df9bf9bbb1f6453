"""The portal's stylesheet closes every block it opens: a merge once dropped the `}` of an
`@media (max-width: 40rem)` block, so the work queues' counts and the navigation badges
(and every rule after it) applied on narrow screens only (found by the demo journeys)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[3] / "static" / "css"


@pytest.mark.parametrize("path", sorted(CSS.glob("*.css")), ids=lambda p: p.name)
def test_every_block_is_closed_where_it_should_be(path):
    text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        depth += line.count("{") - line.count("}")
        assert depth >= 0, f"{path.name}:{number}: « }} » de trop"
        # a rule at the top level (not indented) inside a block is a block left open
        one_rule = "{" in line and line.count("{") == line.count("}")
        if depth and one_rule and re.match(r"^[.#a-z]", line):
            pytest.fail(f"{path.name}:{number}: règle hors bloc dans un bloc resté ouvert")
    assert depth == 0, f"{path.name} : {depth} bloc(s) non fermé(s)"
