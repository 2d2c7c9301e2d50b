"""detente's relation analytics checked against independent implementations: change points
against ruptures' PELT, centrality and brokerage against networkx."""

import itertools
import json
import random

import networkx as nx
import numpy as np
import pytest
import ruptures as rpt

# One event per month: its code's Goldstein value is the month's mean, so the signal our PELT
# reads is exactly the one handed to ruptures.
COOPERATIVE = ["057", "043", "036", "051", "040", "0311"]
HOSTILE = ["111", "112", "190", "163", "173", "138"]


def monthly_events(levels, seed):
    rnd = random.Random(seed)
    rows = []
    month = 0
    for codes, months in levels:
        for _ in range(months):
            y, m = 2010 + month // 12, month % 12 + 1
            rows.append(
                {"id": f"r{month}", "date": f"{y}-{m:02d}-15", "source": "TURGOV", "target": "SYRGOV", "code": rnd.choice(codes)}
            )
            month += 1
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_pelt_matches_ruptures(run, seed):
    rows = monthly_events([(COOPERATIVE, 20), (HOSTILE, 15), (COOPERATIVE, 25)], seed)
    run("events", "add", "-", stdin="\n".join(json.dumps(r) for r in rows))
    series = [json.loads(l) for l in run("relation", "TUR", "SYR", "--format", "jsonl").splitlines()]
    signal = [p["goldstein_mean"] for p in series if p["count"] > 0]
    assert len(signal) == 60
    for pen in (20.0, 60.0, 150.0):
        ours = [
            json.loads(l)["period"]
            for l in run("shifts", "TUR", "SYR", "--unweighted", "--penalty", str(pen), "--min-size", "2", "--format", "jsonl").splitlines()
        ]
        periods = [p["period"] for p in series if p["count"] > 0]
        ours_idx = [periods.index(p) for p in ours]
        theirs = rpt.Pelt(model="l2", min_size=2, jump=1).fit(np.array(signal)).predict(pen=pen)[:-1]
        assert ours_idx == theirs, (pen, ours_idx, theirs)


def test_known_changes_are_found_by_the_default_penalty(run):
    rows = monthly_events([(COOPERATIVE, 24), (HOSTILE, 24)], 9)
    run("events", "add", "-", stdin="\n".join(json.dumps(r) for r in rows))
    shifts = [json.loads(l) for l in run("shifts", "TUR", "SYR", "--format", "jsonl").splitlines()]
    assert [s["direction"] for s in shifts] == ["freeze"]
    assert shifts[0]["period"] in ("2011-12-01", "2012-01-01", "2012-02-01")
    assert shifts[0]["events"], "the explaining events"


EDGES = [
    ("USA", "GBR", "057"), ("USA", "FRA", "051"), ("GBR", "FRA", "040"), ("FRA", "DEU", "057"), ("DEU", "POL", "043"),
    ("RUS", "CHN", "057"), ("CHN", "IRN", "051"), ("RUS", "IRN", "040"), ("USA", "RUS", "111"), ("GBR", "RUS", "163"),
    ("USA", "CHN", "112"), ("POL", "RUS", "111"), ("TUR", "RUS", "040"), ("TUR", "USA", "043"),
]


def test_network_measures_match_networkx(run):
    rows = [
        {"id": f"n{i}", "date": "2022-06-01", "source": a, "target": b, "code": c} for i, (a, b, c) in enumerate(EDGES)
    ]
    run("events", "add", "-", stdin="\n".join(json.dumps(r) for r in rows))
    net = json.loads(run("network", "--format", "json"))
    g = nx.Graph()
    for e in net["edges"]:
        g.add_edge(e["a"], e["b"], weight=abs(e["weight"]), sign=e["sign"])
    assert g.number_of_edges() == len(EDGES)
    degree = nx.degree_centrality(g)
    betweenness = nx.betweenness_centrality(g)
    constraint = nx.constraint(g, weight="weight")
    for node in net["nodes"]:
        a = node["actor"]
        assert node["centrality"] == pytest.approx(degree[a], abs=1e-4)
        assert node["betweenness"] == pytest.approx(betweenness[a], abs=1e-4)
        assert node["constraint"] == pytest.approx(constraint[a], abs=1e-4)
    triads = [t for t in itertools.combinations(g.nodes, 3) if all(g.has_edge(x, y) for x, y in itertools.combinations(t, 2))]
    balanced = [t for t in triads if g[t[0]][t[1]]["sign"] * g[t[1]][t[2]]["sign"] * g[t[0]][t[2]]["sign"] > 0]
    assert net["triads"] == len(triads)
    assert net["balanced_share"] == pytest.approx(len(balanced) / len(triads), abs=1e-4)
    # Blocs: the partition of greatest signed modularity, found here by trying every partition.
    ours = {}
    for n in net["nodes"]:
        ours.setdefault(n["bloc"], set()).add(n["actor"])
    best_q, best = max(((signed_modularity(g, p), p) for p in partitions(sorted(g.nodes))), key=lambda x: x[0])
    assert sorted(map(sorted, ours.values())) == sorted(map(sorted, best))
    assert net["modularity"] == pytest.approx(best_q, abs=1e-4)
    assert {"RUS", "CHN", "IRN"} in [set(b) for b in best]


def partitions(items):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for p in partitions(rest):
        for i in range(len(p)):
            yield p[:i] + [[first] + p[i]] + p[i + 1 :]
        yield [[first]] + p


def signed_modularity(g, partition):
    """Gómez, Jensen & Arenas (2009): Q = (2w⁺Q⁺ − 2w⁻Q⁻) / (2w⁺ + 2w⁻)."""
    bloc = {a: i for i, part in enumerate(partition) for a in part}
    kp = {a: sum(d["weight"] for _, _, d in g.edges(a, data=True) if d["sign"] > 0) for a in g}
    kn = {a: sum(d["weight"] for _, _, d in g.edges(a, data=True) if d["sign"] < 0) for a in g}
    tp, tn = sum(kp.values()), sum(kn.values())
    qp = qn = 0.0
    for i in g:
        for j in g:
            if bloc[i] != bloc[j]:
                continue
            d = g.get_edge_data(i, j)
            qp += (d["weight"] if d and d["sign"] > 0 else 0.0) - kp[i] * kp[j] / tp
            qn += (d["weight"] if d and d["sign"] < 0 else 0.0) - kn[i] * kn[j] / tn
    return (qp - qn) / (tp + tn)
