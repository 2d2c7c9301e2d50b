"""Pictures of relations (needs matplotlib: ``pip install detente[plot]``).

>>> from detente import plot
>>> plot.timeline(model.relation("TUR", "SYR"), shifts=model.shifts("TUR", "SYR"))
>>> plot.network(model.network(start="2023-01-01"))
"""

from __future__ import annotations

import math
from typing import Any

from detente.model import Network, Relation


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("detente.plot needs matplotlib (pip install matplotlib, or the package's [plot] extra)") from e
    return plt


def timeline(relation: Relation, shifts: Any = None, *, annotate: int = 3, ax: Any = None) -> Any:
    """A dyad's timeline: the Goldstein sum per period as bars (green cooperative, red hostile),
    the smoothed score as a line, each shift as a vertical line labelled thaw or freeze, and the
    ``annotate`` strongest explaining events of each shift written beside it. Returns the
    matplotlib Figure."""
    plt = _pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=(10, 4))
    else:
        fig = ax.figure
    periods = relation.column("period")
    gsum = relation.column("goldstein_sum")
    score = relation.column("score")
    width = {"day": 1, "week": 6, "month": 25, "quarter": 80, "year": 330}.get(relation.freq, 20)
    ax.bar(periods, gsum, width=width, color=["#2a9d8f" if g >= 0 else "#e76f51" for g in gsum], alpha=0.6,
           label="Goldstein sum")
    ax.set_ylabel("Goldstein sum per period")
    ax.axhline(0, color="#888", linewidth=0.8)
    line_ax = ax.twinx()
    line_ax.plot(periods, score, color="#264653", linewidth=1.8, label="score")
    line_ax.set_ylim(-10.5, 10.5)
    line_ax.set_ylabel("relation score (−10 … +10)")
    if shifts is not None:
        rows = shifts.to_pylist() if hasattr(shifts, "to_pylist") else list(shifts)
        for s in rows:
            colour = "#2a9d8f" if s["direction"] == "thaw" else "#e76f51"
            ax.axvline(s["period"], color=colour, linestyle="--", linewidth=1.2)
            text = s["direction"]
            for e in (s.get("events") or [])[:annotate]:
                text += f"\n{e['date']} {e.get('source') or '?'}→{e.get('target') or '?'} {e['code']}"
            ax.annotate(text, xy=(s["period"], 0), xytext=(4, 8), textcoords="offset points", fontsize=7,
                        color=colour, va="bottom")
    ax.set_title(f"{relation.a}–{relation.b} by {relation.freq}")
    fig.autofmt_xdate()
    return fig


def network(net: Network, *, ax: Any = None, label: bool = True) -> Any:
    """The network on a circle, blocs side by side and coloured, edges green (cooperative) or red
    (hostile) with width by |weight|. Returns the matplotlib Figure."""
    plt = _pyplot()
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 7))
    else:
        fig = ax.figure
    nodes = net.nodes.to_pylist()
    order = sorted(nodes, key=lambda n: (n["bloc"], n["actor"]))
    n = max(len(order), 1)
    pos = {x["actor"]: (math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n)) for i, x in enumerate(order)}
    palette = plt.get_cmap("tab10")
    for e in net.edges.to_pylist():
        (x1, y1), (x2, y2) = pos[e["a"]], pos[e["b"]]
        ax.plot([x1, x2], [y1, y2], color="#2a9d8f" if e["sign"] > 0 else "#e76f51",
                linewidth=0.5 + 0.4 * abs(e["weight"]), alpha=0.7, zorder=1)
    for x in order:
        px, py = pos[x["actor"]]
        ax.scatter([px], [py], s=120 + 20 * x["degree"], color=palette(x["bloc"] % 10), edgecolor="white", zorder=2)
        if label:
            ax.annotate(x["actor"], (px, py), xytext=(0, 9), textcoords="offset points", ha="center", fontsize=8)
    ax.set_title(f"{len(order)} actors, {len(net.blocs())} blocs, {100 * net.balanced_share:.0f}% of triads balanced")
    ax.set_aspect("equal")
    ax.axis("off")
    return fig


__all__ = ["timeline", "network"]
