"""The benchmark harness: its timing summary, what makes a run complete, and the README's
figures table against the figures the modules declare."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench import _report
from tests.bench.__main__ import modules
from tests.bench._harness import Result, Run, Timing, load_run


def test_timing_is_the_median_with_min_and_max() -> None:
    t = Timing.of([0.3, 0.1, 0.2, 5.0], scale=1000)
    assert (t.median, t.min, t.max, t.n) == (250.0, 100.0, 5000.0, 4)
    assert t.spread() == {"min": 100.0, "max": 5000.0, "n": 4.0}
    with pytest.raises(ValueError):
        Timing.of([])


def _run(tmp: Path) -> Run:
    return Run("abc123" * 7, False, "2026-12-06T04:00:00Z",
               {"cores": 2, "cpu": "x", "memory_gib": 24.0}, {"size": "city", "seed": 1},
               quick=False)  # fmt: skip


def test_every_row_is_stamped_and_only_a_complete_run_becomes_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.bench import _harness

    monkeypatch.setattr(_harness, "bench_dir", lambda settings: tmp_path)
    run = _run(tmp_path)
    run.add("a", 1.0, [Result("x_ms", 3, "ms", spread={"min": 1, "max": 9, "n": 5})], None)
    run.add("b", 2.0, [], "RuntimeError: boom")
    path = run.save(None)  # type: ignore[arg-type]
    assert not (tmp_path / "results.json").exists()  # a failed module: not complete
    row = json.loads(path.read_text())["results"][0]
    assert {row[k] for k in ("module", "commit")} == {"a", run.commit}
    assert row["machine"]["cores"] == 2 and row["scale"]["size"] == "city" and row["utc"]
    assert run.failures == ["b"]
    run.complete = True
    run.save(None)  # type: ignore[arg-type]
    assert load_run(tmp_path / "results.json")["commit"] == run.commit
    (tmp_path / "old.json").write_text(json.dumps([{"name": "x"}]))
    with pytest.raises(ValueError):  # the old merged list is not a run
        load_run(tmp_path / "old.json")


def test_modules_declare_their_figures_and_the_readme_table_lists_them_all() -> None:
    declared = [n for m in modules() for n in m.NAMES]
    assert len(declared) == len(set(declared)), "a figure is declared twice"
    assert all(isinstance(m.QUICK, bool) for m in modules())
    assert any(m.QUICK for m in modules()) and not all(m.QUICK for m in modules())
    assert sorted(_report.readme_names()) == sorted(declared)


def test_markdown_table_names_its_commit() -> None:
    run = _run(Path("."))
    run.scale.update(grids=3, units=4, platforms=1, incidents=5)
    run.add("a", 60.0, [Result("x_ms", 3, "ms", "<= 5", True, {"b_ms": 4.0})], None)
    text = _report.markdown(json.loads(json.dumps(run.__dict__)))
    assert run.commit[:10] in text and "| `x_ms` | 3 ms |" in text
    assert _report.readme_names(f"{_report.START}\n{text}\n{_report.END}") == ["x_ms"]


def test_a_failing_module_is_named_and_the_others_still_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The runner as ``make bench`` uses it, with two stand-in modules: one raises, one
    returns its figure. The second still runs, the run is not complete (no results.json),
    and the exit status is 1 with the failure named."""
    import types

    from tests.bench import __main__ as runner
    from tests.bench import _harness

    def module(name: str, fail: bool) -> types.ModuleType:
        m = types.ModuleType(f"tests.bench.bench_{name}")
        m.NAMES, m.QUICK = (f"{name}_ms",), True  # type: ignore[attr-defined]

        def run(ctx: object) -> list[Result]:
            if fail:
                raise RuntimeError("the console did not start")
            return [Result(f"{name}_ms", 1.0, "ms")]

        m.run = run  # type: ignore[attr-defined]
        return m

    ctx = _harness.Context(settings=None, cluster=None, conninfo="", size="city", seed=1,  # type: ignore[arg-type]
                           scale={"size": "city", "seed": 1})  # fmt: skip
    monkeypatch.setattr(runner, "modules", lambda: [module("broken", True), module("fine", False)])
    monkeypatch.setattr(runner, "make_context", lambda size, fresh: ctx)
    monkeypatch.setattr(runner, "reset", lambda ctx: None)
    monkeypatch.setattr(runner, "close", lambda ctx: None)
    monkeypatch.setattr(_harness, "bench_dir", lambda settings: tmp_path)
    monkeypatch.setattr(runner, "results_path", lambda settings: tmp_path / "results.json")
    assert runner.main([]) == 1
    out = capsys.readouterr()
    assert "FAILED: broken" in out.err and "fine_ms" in out.out
    run = json.loads(next((tmp_path / "runs").glob("*.json")).read_text())
    assert [m["ok"] for m in run["modules"]] == [False, True] and not run["complete"]
    assert "RuntimeError: the console did not start" in run["modules"][0]["error"]
    assert not (tmp_path / "results.json").exists()
