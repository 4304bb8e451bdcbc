"""The layers, written down once and enforced: a package imports only packages below it.

Read from the source (every import, the lazy ones inside functions too), so an upward
import or a cycle fails here instead of waiting for a review. The README's "Layout" section
lists the same layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Bottom first. Packages in one tuple are siblings: they must not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("i18n",),  # the one string catalogue (zh/en) and Babel formatting; imports nothing of ours
    ("core",),  # settings, the clock, errors and the log, the vocabulary of codes, photos
    ("db",),  # engine and sessions, cluster, migrations, models, query helpers
    ("geo",),  # GIS: CRS, readers, importers, the grid check, the overview read model
    ("accounts",),  # who is signed in, passwords, roles
    ("tracks", "tickets", "water"),  # patrols; tickets; cross-section water quality
    ("duty", "archive"),  # patrol windows, due lists, coverage; the public archive
    ("reports", "data"),  # evaluation and bulletin; the demo county and its stories
    ("layers",),  # folium map building
    ("ui",),  # the Streamlit frame: session, language, guard, errors
    ("views", "api"),  # the pages; the platform API
    ("cli",),  # the command line, which starts the app and the API
)
RANK = {pkg: i for i, layer in enumerate(LAYERS) for pkg in layer}
SKIP = {"migrations"}


def _modules() -> dict[str, Path]:
    found = {}
    for pkg in RANK:
        for path in (ROOT / pkg).rglob("*.py"):
            rel = path.relative_to(ROOT)
            if SKIP & set(rel.parts):
                continue
            found[".".join(rel.with_suffix("").parts).removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _imports(path: Path, top_level_only: bool = False) -> set[str]:
    """Project modules ``path`` imports (``from pkg import mod`` resolves to ``pkg.mod``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out: set[str] = set()
    for node in nodes:
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name:
                out.add(name)
    return out


def test_every_package_has_its_layer() -> None:
    packages = {
        p.name
        for p in ROOT.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and p.name not in {"tests", "bench"}
    }
    assert packages | {"views"} == set(RANK)


def test_imports_point_down_only() -> None:
    upward = []
    for module, path in MODULES.items():
        pkg = module.split(".")[0]
        for target in _imports(path):
            other = target.split(".")[0]
            if other != pkg and RANK[other] >= RANK[pkg]:
                upward.append(f"{module} → {target}")
    assert upward == [], "imports that do not point down:\n" + "\n".join(sorted(upward))


def test_no_import_cycle_between_modules() -> None:
    """Module-level imports only (a lazy import inside a function runs later), within and
    across packages: Tarjan's strongly connected components of more than one module."""
    graph = {m: _imports(p, top_level_only=True) - {m} for m, p in MODULES.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in graph:
        if module not in index:
            visit(module)
    assert cycles == []


def test_the_readme_lists_the_layers() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for layer in LAYERS:
        assert " \\| ".join(f"`{p}`" for p in layer) in readme, layer


def test_the_check_catches_an_upward_import(tmp_path: Path) -> None:
    """The rule is not vacuous: core importing db would be reported."""
    fake = tmp_path / "x.py"
    fake.write_text("from db.database import session_scope\n", encoding="utf-8")
    assert "db.database" in _imports(fake)
    assert RANK["db"] >= RANK["core"]


def test_no_page_shadows_a_module_it_imports() -> None:
    """A page script runs top to bottom: a variable named like an imported module (``outcomes``
    the list vs ``tracks.outcomes``) breaks the page only when that line runs."""
    clashes = []
    for path in [*(ROOT / "views").glob("*.py"), *(ROOT / "ui").glob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.asname or alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        stored = {
            node.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
        } | {node.arg for node in ast.walk(tree) if isinstance(node, ast.arg)}
        clashes += [f"{path.name}: {name}" for name in sorted(imported & stored)]
    assert clashes == []
