"""The house's shape: no import cycle between the library's modules, and no module or function growing past a size
a newcomer can read (the known offenders are listed, so a new one fails and a listed one may only shrink)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "territory"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def import_graph() -> dict[str, set[str]]:
    """Every import of a territory module by another, lazy (inside a function) imports included."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(
                        package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                    )
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            for target in targets:
                if target in modules and target != name and target != "territory":
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first repeated at the end), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_cycle_finder_sees_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_graph_sees_lazy_imports():
    graph = import_graph()
    assert "territory.control" in graph["territory.provenance"]
    assert graph["territory.cli"], "the CLI imports library modules (lazily too)"


def test_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


# What the page draws comes from the domain (control, stats, the dataset); territory.layers is the export
# dispatcher the CLI and the download buttons share, so a drawing module never calls it and a change to an
# export's columns cannot silently change the map (the border tooltip once lost its source that way).
DRAWING_MODULES = ("territory.mapdata", "territory.mapview", "territory.viewmodel", "territory.placeview")
PRESENTATION_MODULES = (*DRAWING_MODULES, "territory.publish")
DISPATCHERS = frozenset({"layer", "layer_with_provenance"})


def dispatcher_calls(source: str) -> list[str]:
    """Calls of ``layers.layer`` or ``layers.layer_with_provenance`` in a module's source, however imported."""
    tree = ast.parse(source)
    bare = {
        a.asname or a.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("layers")
        for a in node.names
        if a.name in DISPATCHERS
    }
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr in DISPATCHERS and isinstance(f.value, ast.Name):
            if f.value.id == "layers":
                calls.append(f"layers.{f.attr} (line {node.lineno})")
        elif isinstance(f, ast.Name) and f.id in bare:
            calls.append(f"{f.id} (line {node.lineno})")
    return calls


def test_dispatcher_finder_sees_a_call():
    assert dispatcher_calls("from territory import layers\nlayers.layer(ds, 'border')") == ["layers.layer (line 2)"]
    assert dispatcher_calls("from territory.layers import layer as L\nL(ds, 'x')") == ["L (line 2)"]
    assert dispatcher_calls("from territory import layers\nlayers.layer_geojson(ds, 'x', d, (), None)") == []


def test_presentation_draws_from_the_domain_not_the_export_dispatcher():
    modules = _modules()
    found = {m: dispatcher_calls(modules[m].read_text(encoding="utf-8")) for m in PRESENTATION_MODULES}
    assert not {m: c for m, c in found.items() if c}, f"presentation calls the export dispatcher: {found}"
    graph = import_graph()
    assert not [m for m in DRAWING_MODULES if "territory.layers" in graph[m]], "a drawing module imports layers"


# Known offenders (issue 21 paid off the debt these lists held when the limits were set): a new offender fails,
# and one listed here that heals must leave the list.
KNOWN_LONG_MODULES: set[str] = set()
KNOWN_LONG_FUNCTIONS: set[str] = set()


def _module_sizes() -> dict[str, int]:
    return {n: len(p.read_text(encoding="utf-8").splitlines()) for n, p in _modules().items()}


def _long_functions() -> dict[str, int]:
    found = {}
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found[f"{name}.{node.name}"] = length
    return found


def test_no_new_long_module():
    new = {n: size for n, size in _module_sizes().items() if size > MAX_MODULE_LINES and n not in KNOWN_LONG_MODULES}
    assert not new, f"modules over {MAX_MODULE_LINES} lines: {new}"


def test_no_new_long_function():
    new = {n: size for n, size in _long_functions().items() if n not in KNOWN_LONG_FUNCTIONS}
    assert not new, f"functions over {MAX_FUNCTION_LINES} lines: {new}"


def test_listed_offenders_are_still_offenders():
    # One that shrank under the limit leaves the list, so the list stays the true debt.
    sizes = _module_sizes()
    healed = sorted(n for n in KNOWN_LONG_MODULES if sizes.get(n, 0) <= MAX_MODULE_LINES)
    healed += sorted(KNOWN_LONG_FUNCTIONS - set(_long_functions()))
    assert not healed, f"no longer over the limit, drop from the lists: {healed}"


# --- the map runtime (JavaScript): its named functions stay readable too ----------------------------------------

JS_FILES = [SRC.parents[1] / "static" / "territory" / "territory.js", SRC.parents[1] / "static" / "site" / "site.js"]
_JS_FUNCTION = re.compile(r"^(?P<indent>\s*)(?:async\s+)?function\s+(?P<name>[\w$]+)\s*\(")


def _js_function_lengths(text: str) -> dict[str, int]:
    """Named function declarations and their lengths, by the runtime's layout: the closing ``}`` at the opening's indent."""
    lines = text.splitlines()
    found = {}
    for i, line in enumerate(lines):
        m = _JS_FUNCTION.match(line)
        if not m or line.rstrip().endswith("}"):  # a one-line function
            continue
        close = m["indent"] + "}"
        end = next((j for j in range(i + 1, len(lines)) if lines[j].rstrip() in (close, close + ";")), None)
        assert end is not None, f"no closing brace at column {len(m['indent'])} for function {m['name']} (line {i + 1})"
        found[m["name"]] = end - i + 1
    return found


def test_js_function_finder_measures_a_function():
    text = "(function () {\n  function a(x) {\n    if (x) {\n      return 1;\n    }\n  }\n  function b() { return 2; }\n})();\n"
    assert _js_function_lengths(text) == {"a": 5}


def test_no_long_js_function():
    for path in JS_FILES:
        lengths = _js_function_lengths(path.read_text(encoding="utf-8"))
        assert len(lengths) >= 5, f"{path.name}: the function finder found only {sorted(lengths)}"
        long = {n: size for n, size in lengths.items() if size > MAX_FUNCTION_LINES}
        assert not long, f"{path.name}: functions over {MAX_FUNCTION_LINES} lines: {long}"
