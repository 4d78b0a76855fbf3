"""Circles of imports between modules of different apps, imports inside functions included.

The same check as the team's shared hook, kept in the repository so CI runs it
(tests/test_import_graph.py). A module-level import circle that stays inside one app (a
job module and the service it calls) is allowed; a circle that crosses apps is reported.
URL confs, settings and the Celery app, which wire every app together, are left out.
Exit 1 when a crossing circle exists. Usage: python scripts/import_circles.py [ROOT]
"""

from __future__ import annotations

import ast
import os
import sys
from collections import defaultdict

SKIP = {
    "tests",
    "bench",
    "scripts",
    "deploy",
    "docs",
    "static",
    "templates",
    "fixtures",
    "locale",
    "var",
}
WIRING = {"urls.py", "settings.py", "celery.py", "wsgi.py", "asgi.py"}


def app_modules(root: str) -> tuple[list[str], dict[str, str]]:
    """The apps (packages at the root) and each of their modules' file, migrations aside."""
    apps = sorted(
        name
        for name in os.listdir(root)
        if os.path.isdir(os.path.join(root, name))
        and name not in SKIP
        and not name.startswith(".")
        and os.path.exists(os.path.join(root, name, "__init__.py"))
    )
    files = {}
    for app in apps:
        for directory, _subdirectories, names in os.walk(os.path.join(root, app)):
            if "migrations" in directory.split(os.sep):
                continue
            for name in names:
                if name.endswith(".py"):
                    relative = os.path.relpath(os.path.join(directory, name), root)
                    module = relative[:-3].replace(os.sep, ".")
                    module = module.removesuffix(".__init__")
                    files[module] = relative
    return apps, files


def import_edges(root: str, apps: list[str], files: dict[str, str]) -> dict[str, set[str]]:
    """module → the modules of apps it imports, anywhere in its file."""

    def resolve(name: str) -> str | None:
        while name and name not in files:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = defaultdict(set)
    for module, relative in files.items():
        if os.path.basename(relative) in WIRING:
            continue
        with open(os.path.join(root, relative), encoding="utf-8") as source:
            try:
                tree = ast.parse(source.read())
            except SyntaxError:
                continue
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
            for target in targets:
                found = resolve(target)
                if found and found != module and found.split(".")[0] in apps:
                    edges[module].add(found)
    return edges


def circles(modules: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in modules:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(edges[successor]))))
                    advanced = True
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def main(root: str) -> int:
    apps, files = app_modules(root)
    edges = import_edges(root, apps, files)
    found = circles(list(files), edges)
    crossing = [c for c in found if len({m.split(".")[0] for m in c}) > 1]
    for circle in crossing:
        print("circle across apps: " + ", ".join(circle))
    print(
        f"{len(crossing)} import circle(s) across apps ({len(found) - len(crossing)} inside one app)"
    )
    return 1 if crossing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
