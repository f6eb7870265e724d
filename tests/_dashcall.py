"""The body a browser posts to ``/_dash-update-component`` for one callback, built from the
app's own declaration (``/_dash-dependencies``), so a test or a benchmark that forges desk
requests follows the callback when its inputs change instead of breaking on a missing key."""

from __future__ import annotations

from typing import Any


def callback_body(
    deps: list[dict[str, Any]],
    trigger: str,
    values: dict[str, Any],
    *,
    output: str | None = None,
) -> dict[str, Any]:
    """The request for the callback fired by ``trigger`` (the one with ``output`` among its
    outputs, when several take it), with ``values`` by component id; a pattern-matched id
    (ALL) is given by its JSON as declared: the list of its entries. Anything else is None,
    as for a store the page has not filled."""
    found = [d for d in deps
             if any(i["id"] == trigger for i in d["inputs"])
             and (output is None or output in d["output"])]  # fmt: skip
    if len(found) != 1:
        raise LookupError(f"{len(found)} callbacks take {trigger} (output {output})")
    cb = found[0]

    def one(dep: dict[str, Any]) -> Any:
        if dep["id"].startswith("{"):  # a pattern (ALL): its entries, given as a list
            return values.get(dep["id"], [])
        return {"id": dep["id"], "property": dep["property"], "value": values.get(dep["id"])}

    outs = [o.rsplit(".", 1) for o in cb["output"].strip(".").split("...")]
    prop = next(d["property"] for d in cb["inputs"] if d["id"] == trigger)
    return {
        "output": cb["output"],
        "outputs": [{"id": i, "property": p.split("@")[0]} for i, p in outs],
        "inputs": [one(d) for d in cb["inputs"]],
        "state": [one(d) for d in cb["state"]],
        "changedPropIds": [f"{trigger}.{prop}"],
    }
