"""The code's shape, checked: no import circles inside ``labledger`` (import-linter holds the
layer and boundary contracts; it does not look for circles)."""

from __future__ import annotations

import grimp


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or through others (Tarjan's
    algorithm, iterative: the graph's depth does not meet Python's recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_the_finder_finds_a_circle_and_a_long_one():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert strongly_connected(edges) == [["a", "b", "c"]]
    chain = {f"m{i}": {f"m{i + 1}"} for i in range(5_000)}
    chain["m5000"] = {"m0"}
    assert len(strongly_connected(chain)[0]) == 5_001
    assert strongly_connected({"x": {"y"}, "y": set()}) == []


def test_no_import_circles_in_labledger():
    """Imports inside functions count (they still tie the modules together); imports under
    ``if TYPE_CHECKING`` do not (they never run)."""
    graph = grimp.build_graph("labledger", exclude_type_checking_imports=True)
    modules = set(graph.modules)
    assert len(modules) > 100  # the whole package was read
    edges = {m: graph.find_modules_directly_imported_by(m) & modules for m in modules}
    assert strongly_connected(edges) == []
