"""The queue is patched card by card: applying the patch to the old cards gives the new."""

from __future__ import annotations

import random
from typing import Any

import pytest

from console.pages.desk import queuecards as desk


def apply(cards: list[Any], patch: Any) -> list[Any]:
    out = list(cards)
    for op in patch.to_plotly_json()["operations"]:
        if op["operation"] == "Delete":
            del out[op["location"][0]]
        else:
            assert op["operation"] == "Insert" and op["location"] == []
            out.insert(op["params"]["index"], op["params"]["value"])
    return out


@pytest.mark.parametrize("seed", range(25))
def test_patching_old_cards_gives_the_new_ones(seed: int) -> None:
    rng = random.Random(seed)
    old = [f"k{i}" for i in range(rng.randint(1, 60))]
    new = list(old)
    for _ in range(rng.randint(1, 6)):
        what = rng.choice(["insert", "delete", "change"])
        if what == "insert" or not new:
            new.insert(rng.randint(0, len(new)), f"n{rng.random()}")
        elif what == "delete":
            del new[rng.randrange(len(new))]
        else:
            new[rng.randrange(len(new))] = f"c{rng.random()}"
    if not new:
        new = ["only"]
    patch = desk.queue_patch(old, new, lambda j: new[j])
    assert patch is not None and apply(old, patch) == new


def test_a_big_change_is_a_full_redraw() -> None:
    old = [str(i) for i in range(100)]
    assert desk.queue_patch(old, [str(i + 1000) for i in range(100)], str) is None
    assert desk.queue_patch([], ["a"], str) is None
