"""The package's layering, read from the source with `ast` (nothing is imported).

Every import counts, at module level and inside functions, relative ones resolved:
front ends (cli, server, batch, validation) sit above training, monitor and sinks, which
sit above the engine, which sits above the pose stream. ARCHITECTURE.md explains why."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "posecheck"

FRONT_ENDS = ("posecheck.cli", "posecheck.server", "posecheck.batch", "posecheck.validation",
              "posecheck.__main__")
ABOVE_POSE = ("posecheck.engine", "posecheck.training", "posecheck.monitor", "posecheck.sinks", *FRONT_ENDS)
# Where `import mediapipe` may appear: the model plumbing and the estimators.
MEDIAPIPE_ALLOWED = ("posecheck.pose.models", "posecheck.pose.estimator", "posecheck.pose.estimator_pool")


def module_name(path: Path, root: Path = PACKAGE_DIR) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def imported_names(path: Path, modules: set[str], root: Path = PACKAGE_DIR) -> set[str]:
    """Every module `path` imports (anywhere in it), absolute, relative ones resolved.
    `from package import name` counts as importing package.name when that is a module."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            for alias in node.names:
                if f"{target}.{alias.name}" in modules:
                    found.add(f"{target}.{alias.name}")
    return found


def import_graph(root: Path = PACKAGE_DIR) -> dict[str, set[str]]:
    """Module -> the modules it imports (third-party ones included, by their own names)."""
    paths = {module_name(p, root): p for p in root.rglob("*.py")}
    return {name: imported_names(path, set(paths), root) for name, path in paths.items()}


def internal_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    return {m: {t for t in targets if t in graph and t != m} for m, targets in graph.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (its modules in order, the first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def violations(graph: dict[str, set[str]], importers: tuple[str, ...] | None,
               forbidden: tuple[str, ...], *, exclude: tuple[str, ...] = ()) -> list[str]:
    """`importer -> target` for every module in `importers` (None: all outside `exclude`)
    that imports anything under `forbidden`."""
    return sorted(f"{m} -> {t}" for m, targets in graph.items()
                  if (within(m, importers) if importers is not None else not within(m, exclude))
                  for t in targets if within(t, forbidden))


GRAPH = import_graph()


def test_the_package_has_no_import_cycle():
    cycle = find_cycle(internal_graph(GRAPH))
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_module_outside_a_front_end_imports_one():
    assert violations(GRAPH, None, FRONT_ENDS, exclude=FRONT_ENDS) == []


def test_the_pose_stream_imports_nothing_above_it():
    assert violations(GRAPH, ("posecheck.pose",), ABOVE_POSE) == []


def test_the_engine_imports_neither_training_monitor_sinks_nor_front_ends():
    assert violations(GRAPH, ("posecheck.engine",),
                      ("posecheck.training", "posecheck.monitor", "posecheck.sinks", *FRONT_ENDS)) == []


def test_only_the_model_plumbing_and_the_estimators_import_mediapipe():
    assert violations(GRAPH, None, ("mediapipe",), exclude=MEDIAPIPE_ALLOWED) == []


def test_only_the_models_entry_point_is_imported_from_outside_the_model_plumbing():
    assert violations(GRAPH, None, ("posecheck.pose.models.legacy", "posecheck.pose.models.tasks",
                                    "posecheck.pose.models.bundle"),
                      exclude=("posecheck.pose.models",)) == []


def test_the_checks_catch_a_cycle_and_an_upward_import(tmp_path):
    # A throwaway package shaped like posecheck: the checks above must flag it.
    pkg = tmp_path / "posecheck"
    for folder in ("pose", "engine", "cli"):
        (pkg / folder).mkdir(parents=True)
        (pkg / folder / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "pose" / "a.py").write_text("def f():\n    from ..engine import b\n")
    (pkg / "engine" / "b.py").write_text("from ..pose.a import f\nimport mediapipe\n")
    (pkg / "engine" / "c.py").write_text("from posecheck.cli import main\n")
    graph = import_graph(pkg)
    assert find_cycle(internal_graph(graph)) == ["posecheck.engine.b", "posecheck.pose.a", "posecheck.engine.b"]
    assert violations(graph, ("posecheck.pose",), ABOVE_POSE) == ["posecheck.pose.a -> posecheck.engine",
                                                                   "posecheck.pose.a -> posecheck.engine.b"]
    assert violations(graph, None, FRONT_ENDS, exclude=FRONT_ENDS) == ["posecheck.engine.c -> posecheck.cli"]
    assert violations(graph, None, ("mediapipe",), exclude=MEDIAPIPE_ALLOWED) == ["posecheck.engine.b -> mediapipe"]
