"""Pictures of relations (needs matplotlib: ``pip install detente[plot]``).

>>> from detente import plot
>>> plot.timeline(model.relation("TUR", "SYR"), shifts=model.shifts("TUR", "SYR"))
>>> plot.network(model.network(start="2023-01-01"))
"""

from __future__ import annotations

import math
from typing import Any

from detente import _detente
from detente.model import Network, Relation

COOPERATIVE, HOSTILE, SCORE = "#2a9d8f", "#e76f51", "#264653"


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("detente.plot needs matplotlib (pip install matplotlib, or the package's [plot] extra)") from e
    return plt


def timeline(relation: Relation, shifts: Any = None, *, annotate: int = 3, axes: Any = None) -> Any:
    """A dyad's timeline in two panels that share the time axis, each with its own zero line.

    Above, the relation score (−10 … +10; the decayed mean Goldstein value of the events so far)
    as a level held through each period: solid through periods with events, dotted where it only
    carries its last level; dots sized by the events behind it (``score_weight``). Below, each
    period's events: cooperative ones (QuadClass 1–2) up in green, conflictual ones (3–4) down
    in red. Each shift is a dashed line across both panels, labelled thaw or freeze with the
    levels before and after and its ``annotate`` strongest explaining events. ``axes``: two
    matplotlib axes to draw in. Returns the Figure."""
    import datetime

    plt = _pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    if axes is None:
        fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(10, 6), height_ratios=[3, 2])
    else:
        top, bottom = axes
        fig = top.figure
    periods = relation.column("period")
    counts = relation.column("count")
    score = relation.column("score")
    weight = relation.column("score_weight")
    cooperative = [a + b for a, b in zip(relation.column("quad1"), relation.column("quad2"))]
    conflictual = [a + b for a, b in zip(relation.column("quad3"), relation.column("quad4"))]
    half_life = relation.options.get("half_life_days") or _detente.DEFAULT_HALF_LIFE_DAYS
    days = {"day": 1, "week": 7, "month": 30, "quarter": 91, "year": 365}.get(relation.freq, 30)
    ends = periods[1:] + ([periods[-1] + datetime.timedelta(days=days)] if periods else [])

    # The score: a level per period, changing where a period's events move it.
    top.axhline(0, color="#888", linewidth=0.8)
    for i, (start, end) in enumerate(zip(periods, ends)):
        if weight[i] <= 0:
            continue  # no score yet
        style = "-" if counts[i] > 0 else ":"
        top.plot([start, end], [score[i], score[i]], color=SCORE, linewidth=1.8, linestyle=style)
        if i > 0 and weight[i - 1] > 0 and score[i] != score[i - 1]:
            top.plot([start, start], [score[i - 1], score[i]], color=SCORE, linewidth=1.8)
    with_events = [i for i, c in enumerate(counts) if c > 0]
    top.scatter([periods[i] for i in with_events], [score[i] for i in with_events],
                s=[12 + 10 * min(weight[i], 20) for i in with_events], color=SCORE, zorder=3)
    top.set_ylim(-10.5, 10.5)
    top.set_ylabel("relation score")
    top.legend(handles=[
        Line2D([], [], color=SCORE, linewidth=1.8, marker="o", markersize=5,
               label=f"score: decayed mean Goldstein (half-life {half_life:g} days), −10 … +10"),
        Line2D([], [], color=SCORE, linewidth=1.8, linestyle=":", label="carried: no events in the period"),
    ], loc="upper left", fontsize=8, frameon=False)

    # Each bar spans its period, from its first day.
    width = [(end - start).days * 0.9 for start, end in zip(periods, ends)]
    bottom.bar(periods, cooperative, width=width, align="edge", color=COOPERATIVE, alpha=0.7)
    bottom.bar(periods, [-c for c in conflictual], width=width, align="edge", color=HOSTILE, alpha=0.7)
    bottom.axhline(0, color="#888", linewidth=0.8)
    peak = max(cooperative + conflictual + [1])
    bottom.set_ylim(-1.35 * peak, 1.35 * peak)
    bottom.set_ylabel(f"events per {relation.freq}")
    bottom.legend(handles=[Patch(color=COOPERATIVE, alpha=0.7, label="cooperative (QuadClass 1–2)"),
                           Patch(color=HOSTILE, alpha=0.7, label="conflictual (QuadClass 3–4)")],
                  loc="lower left", bbox_to_anchor=(0, 1), ncol=2, fontsize=8, frameon=False)

    if shifts is not None:
        rows = shifts.to_pylist() if hasattr(shifts, "to_pylist") else list(shifts)
        for s in rows:
            colour = COOPERATIVE if s["direction"] == "thaw" else HOSTILE
            for ax in (top, bottom):
                ax.axvline(s["period"], color=colour, linestyle="--", linewidth=1.2)
            text = f"{s['direction']} ({s['before']:+.1f} → {s['after']:+.1f})"
            for e in (s.get("events") or [])[:annotate]:
                text += f"\n{e['date']} {e.get('source') or '?'}→{e.get('target') or '?'} {e['code']}"
            top.annotate(text, xy=(s["period"], -10), xytext=(4, 4), textcoords="offset points", fontsize=7,
                         color=colour, va="bottom")
    top.set_title(f"{relation.a}–{relation.b} by {relation.freq}")
    fig.autofmt_xdate()
    return fig


def network(net: Network, *, ax: Any = None, label: bool = True) -> Any:
    """The network on a circle, blocs side by side: a node's colour is its bloc and its size its
    degree; an edge is green when cooperative and red when hostile (its sign), its width its
    |weight| (the mean Goldstein value of the pair's events). Returns the matplotlib Figure."""
    plt = _pyplot()
    from matplotlib.lines import Line2D

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
        ax.plot([x1, x2], [y1, y2], color=COOPERATIVE if e["sign"] > 0 else HOSTILE,
                linewidth=0.5 + 0.4 * abs(e["weight"]), alpha=0.7, zorder=1)
    for x in order:
        px, py = pos[x["actor"]]
        ax.scatter([px], [py], s=120 + 20 * x["degree"], color=palette(x["bloc"] % 10), edgecolor="white", zorder=2)
        if label:
            ax.annotate(x["actor"], (px, py), xytext=(0, 9), textcoords="offset points", ha="center", fontsize=8)
    blocs = net.blocs()
    handles = [
        Line2D([], [], color=COOPERATIVE, linewidth=2, label="cooperative pair (mean Goldstein > 0)"),
        Line2D([], [], color=HOSTILE, linewidth=2, label="hostile pair (mean Goldstein < 0)"),
        Line2D([], [], color="#555", linewidth=0.9, label="width: |mean Goldstein| (thin 1, thick 10)"),
    ]
    handles += [Line2D([], [], marker="o", linestyle="", color=palette(i % 10), markersize=8,
                       label=f"bloc {i}: {', '.join(b)}") for i, b in enumerate(blocs)]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.02), fontsize=8, frameon=False, ncol=1)
    ax.set_title(f"{len(order)} actors, {len(blocs)} bloc{'' if len(blocs) == 1 else 's'}, "
                 f"{100 * net.balanced_share:.0f}% of triads balanced\n"
                 "node size: partners (degree)", fontsize=10)
    ax.set_aspect("equal")
    ax.axis("off")
    fig.tight_layout()
    return fig


__all__ = ["timeline", "network"]
