#!/usr/bin/env python3
"""Checks the core's layering (see core/src/lib.rs): no module uses a layer above its own.

Reads every `crate::…` path in core/src outside test code (files named `tests.rs` or
`*_tests.rs`, and the `#[cfg(test)]` module at the end of a file) and fails naming the file,
line and path of each upward use. Run by scripts/test.sh.
"""

import pathlib
import re
import sys

# Lowest first; a module may use its own layer and those below it.
LAYERS = [
    {"error", "paging", "alloc", "testing"},
    {"domain"},
    {"syntax"},
    {"coder"},
    {"aggregates", "negotiation"},
    {"store"},
    {"relations"},
    {"io"},
    {"model"},
]
RANK = {m: i for i, layer in enumerate(LAYERS) for m in layer}
# What the crate root re-exports, and from which module.
ROOT = {
    "Dictionary": "domain", "NameKind": "domain", "Resolution": "domain", "Date": "domain",
    "DatePrecision": "domain", "Document": "domain", "Event": "domain", "Origin": "domain",
    "Place": "domain", "QuadScheme": "domain", "taxonomy": "domain", "Error": "error",
    "ErrorKind": "error", "Location": "error", "Result": "error",
}
PATH = re.compile(r"\bcrate::(\w+)")
GROUP = re.compile(r"\bcrate::\{([^}]*)\}")


def module_of(path: pathlib.Path, src: pathlib.Path) -> str:
    first = path.relative_to(src).parts[0]
    return first[:-3] if first.endswith(".rs") else first


def domain_part(path: pathlib.Path, src: pathlib.Path) -> str:
    """The domain module a file belongs to (`actors`, `event`…)."""
    part = path.relative_to(src).parts[1]
    return part[:-3] if part.endswith(".rs") else part


def cycle(graph: dict) -> list:
    """One cycle of a graph of sets, or []."""
    state, stack = {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        state[n] = 2
        stack.pop()
        return []

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return []


def production_text(text: str) -> str:
    """The file without its trailing `#[cfg(test)] mod … { … }` block."""
    m = re.search(r"^#\[cfg\(test\)\]\s*\n\s*mod \w+ \{", text, re.M)
    return text[: m.start()] if m else text


def main() -> int:
    src = pathlib.Path(__file__).resolve().parent.parent / "core" / "src"
    problems = []
    # The domain's modules are one layer: they may use each other, but not in a circle.
    domain = {}
    for path in sorted((src / "domain").rglob("*.rs")):
        if path.name == "mod.rs" and path.parent.name == "domain":
            continue
        uses = re.findall(r"\bcrate::domain::(\w+)", production_text(path.read_text()))
        own = domain_part(path, src)
        domain.setdefault(own, set()).update(u for u in uses if u != own)
    found = cycle(domain)
    if found:
        problems.append("core/src/domain: modules use each other in a circle: " + " -> ".join(found))
    for path in sorted(src.rglob("*.rs")):
        if path.name == "tests.rs" or path.name.endswith("_tests.rs") or path.name == "lib.rs":
            continue
        own = module_of(path, src)
        if own not in RANK:
            problems.append(f"{path}: module `{own}` is in no layer (add it to LAYERS)")
            continue
        for n, line in enumerate(production_text(path.read_text()).splitlines(), 1):
            if line.lstrip().startswith("//"):
                continue
            used = PATH.findall(line)
            for group in GROUP.findall(line):
                used += re.findall(r"(?:^|,)\s*(\w+)", group)
            for name in used:
                target = ROOT.get(name, name)
                if target not in RANK:
                    problems.append(f"{path}:{n}: `crate::{name}` is in no layer")
                elif RANK[target] > RANK[own]:
                    problems.append(f"{path}:{n}: `{own}` uses `crate::{name}`, a layer above it")
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} layering problem(s); the layers are in core/src/lib.rs", file=sys.stderr)
        return 1
    print("layers: no upward use in core/src")
    return 0


if __name__ == "__main__":
    sys.exit(main())
