"""Where a negotiation is likely to land: Bueno de Mesquita's expected-utility model (as Scholz,
Calbert & Smith 2011 reconstruct it) and Stokman's exchange model (Equal Gain, as Decide computes
it), with baselines and a seeded Monte Carlo. The models run in Rust; results are pyarrow Tables
(``.to_pandas()``, ``polars.from_arrow(t)``) whose schema metadata, like ``result.metadata``,
records the profile, options, seed and version that produced them.

>>> from detente.negotiation import Scenario
>>> talks = Scenario.example("moscow-2023")        # Turkiye, Syria, Russia, Iran; two issues
>>> talks.baselines()
>>> run = talks.eum(issue="withdrawal")            # profile scholz2011_code by default
>>> run.forecast, run.rounds.to_pandas()
>>> run.perspective("Turkiye", round=1)
>>> talks.exchange().outcomes
>>> talks.monte_carlo("eum", draws=1000, seed=1).summary
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence, Tuple, Union

import pyarrow as pa

from detente import _detente
from detente._errors import InvalidInputError

PathLike = Union[str, Path]

#: The built-in expected-utility profiles.
EUM_PROFILES = ("scholz2011_code", "scholz2011_paper")


def _table(rows: Sequence[Mapping[str, Any]], info: Optional[Mapping[str, str]] = None) -> pa.Table:
    table = pa.Table.from_pylist(list(rows)) if rows else pa.table({})
    if info:
        table = table.replace_schema_metadata({k: str(v) for k, v in info.items()})
    return table


def _info(rows: Sequence[Mapping[str, str]]) -> dict:
    return {r["key"]: r["value"] for r in rows}


def _options(options: Mapping[str, Any]) -> list:
    return [(str(k), str(v).lower() if isinstance(v, bool) else str(v)) for k, v in options.items()]


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("plots need matplotlib (pip install matplotlib, or the package's [plot] extra)") from e
    return plt


class Scenario:
    """Issues on a scale and every actor's stance on each: position, salience (stored as a
    fraction) and capability. Checked on construction: a bad value raises
    ``InvalidInputError`` naming its field (``stances[3].salience``).

    ``issues``: dicts with ``id``, and optionally ``label``, ``min``, ``max`` (default 0–100)
    and ``anchors`` (``[(point, "what it means")]``). ``stances``: dicts with ``actor``,
    ``issue``, ``position``, ``salience``, ``capability``. ``salience_scale`` must say whether
    salience is a ``"fraction"`` (0–1) or a ``"percent"`` (0–100): it is never guessed.
    """

    def __init__(self, issues: Iterable[Mapping[str, Any]], stances: Iterable[Mapping[str, Any]], *,
                 salience_scale: str = "fraction") -> None:
        full = [
            {"id": str(i["id"]), "label": str(i.get("label", i["id"])), "min": float(i.get("min", 0.0)),
             "max": float(i.get("max", 100.0)), "anchors": [(float(a), str(t)) for a, t in i.get("anchors", [])]}
            for i in issues
        ]
        rows = []
        for k, s in enumerate(stances):
            row = {}
            for key, kind in (("actor", str), ("issue", str), ("position", float), ("salience", float),
                              ("capability", float)):
                try:
                    row[key] = kind(s[key])
                except (KeyError, TypeError, ValueError) as e:
                    err = InvalidInputError(f"stances[{k}].{key}: {'missing' if isinstance(e, KeyError) else e}")
                    err.field, err.reason = f"stances[{k}].{key}", "INVALID_FIELD"
                    raise err from None
            rows.append(row)
        self._set(_detente.check_scenario(full, rows, salience_scale))

    def _set(self, checked: Mapping[str, Any]) -> None:
        self._issues = list(checked["issues"])
        self._stances = list(checked["stances"])

    @classmethod
    def _of(cls, checked: Mapping[str, Any]) -> "Scenario":
        s = cls.__new__(cls)
        s._set(checked)
        return s

    @classmethod
    def example(cls, name: str = "moscow-2023") -> "Scenario":
        """A scenario shipped with detente. ``moscow-2023``: the May 2023 Moscow talks, with
        positions an analyst set from the seed article — judgement, not data (the file's
        comments give the reasons for each number)."""
        return cls._of(_detente.example_scenario(name))

    @classmethod
    def read(cls, path: PathLike, *, salience_scale: str = "fraction", issue: Optional[str] = None,
             scale: Optional[Tuple[float, float]] = None) -> "Scenario":
        """Reads a file in Decide's format, a table ``actor,issue,position,salience,capability``
        or the actor table ``Actor,Capability,Position,Salience`` (one issue, named ``issue``).
        A table's scale is ``scale``, else the span of its positions."""
        p = Path(path)
        return cls._of(_detente.read_scenario(p.read_text(encoding="utf-8"), str(p), salience_scale, issue, scale))

    @classmethod
    def from_frame(cls, frame: Any, *, salience_scale: str, issues: Optional[Iterable[Mapping[str, Any]]] = None,
                   issue: str = "issue") -> "Scenario":
        """From a DataFrame (pandas, polars or pyarrow) with columns ``actor``, ``position``,
        ``salience``, ``capability`` and, for several issues, ``issue``. ``issues`` gives their
        scales (default 0–100); ``issue`` names the one issue of a frame without that column."""
        table = frame if isinstance(frame, pa.Table) else pa.table(frame.to_arrow() if hasattr(frame, "to_arrow")
                                                                      else frame)
        rows = table.to_pylist()
        for r in rows:
            r.setdefault("issue", issue)
        ids = list(dict.fromkeys(r["issue"] for r in rows))
        given = {i["id"]: i for i in (issues or [])}
        return cls([given.get(i, {"id": i}) for i in ids], rows, salience_scale=salience_scale)

    @property
    def issues(self) -> list:
        """The issues, as dicts."""
        return [dict(i) for i in self._issues]

    @property
    def stances(self) -> pa.Table:
        """Every stance, salience as a fraction."""
        return _table(self._stances)

    @property
    def actors(self) -> list:
        """The actors, in order of first appearance."""
        return list(dict.fromkeys(s["actor"] for s in self._stances))

    def to_decide(self) -> str:
        """The scenario in Decide's input format."""
        return _detente.write_decide(self._issues, self._stances)

    def baselines(self) -> pa.Table:
        """Per issue: mean, salience-weighted mean, capability×salience-weighted mean and median."""
        return _table(_detente.baselines(self._issues, self._stances))

    def eum(self, issue: Optional[str] = None, profile: str = "scholz2011_code", **options: Any) -> "EumResult":
        """The expected-utility model on one issue (default: the first). ``options`` change the
        profile's choices by key (``probability="pair_share"``, ``q=0.5``, ``rounds=20``, or
        ``a1=...``); see ``detente negotiate eum --help``."""
        opts = _options(options)
        out = _detente.run_eum(self._issues, self._stances, issue, profile, opts)
        return EumResult(self, out["issue"], profile, opts, out)

    def exchange(self, rounds: int = 10, decide_seed: Optional[int] = None) -> "ExchangeResult":
        """The exchange model over every issue. ``decide_seed`` follows Decide to the letter,
        in its 28-digit decimal arithmetic, ties broken by Python's ``random`` seeded so; by
        default the run is in binary floats, ties go by actor and issue order and no exchange
        pushes an outcome past a partner."""
        return ExchangeResult(_detente.run_exchange(self._issues, self._stances, rounds, decide_seed))

    def monte_carlo(self, model: str = "eum", draws: int = 1000, seed: int = 0, *, salience_sd: float = 0.1,
                    capability_sd: float = 0.2, dropout: float = 0.0, issue: Optional[str] = None,
                    profile: str = "scholz2011_code", options: Optional[Mapping[str, Any]] = None,
                    rounds: int = 10, decide_seed: Optional[int] = None) -> "MonteCarloResult":
        """Re-runs ``model`` (``"eum"`` or ``"exchange"``) on ``draws`` perturbed copies: each
        salience jittered by ``salience_sd``, each capability by a log-normal factor of
        ``capability_sd``, each actor dropped with probability ``dropout``. One seed, one answer."""
        out = _detente.monte_carlo(self._issues, self._stances, model, draws, seed, salience_sd, capability_sd,
                                   dropout, issue, profile, _options(options or {}), rounds, decide_seed)
        return MonteCarloResult(out)

    def relations(self, model: Any) -> pa.Table:
        """Every pair of actors, resolved through ``model``'s dictionary, with its latest relation
        score in ``model``'s store: to read beside a forecast."""
        return _table(model._inner.negotiation_relations(self._issues, self._stances))

    def __reduce__(self) -> Any:
        return (Scenario._of, ({"issues": self._issues, "stances": self._stances},))

    def __repr__(self) -> str:
        return f"<Scenario: {len(self.actors)} actors on {', '.join(i['id'] for i in self._issues)}>"


@dataclass
class EumResult:
    """An expected-utility run: ``forecast`` (by the profile's decision rule), and tables
    ``rounds`` (median and mean by round), ``trajectory`` (positions, risk exponents, accepted
    offers), ``offers`` (every offer made) and ``matrices`` (P, E^i(U_ij), E^i(U_ji) per pair)."""

    scenario: Scenario
    issue: str
    profile: str
    options: list
    _out: Mapping[str, Any] = field(repr=False)

    @property
    def metadata(self) -> dict:
        """Model, profile, every option and detente's version."""
        return _info(self._out["info"])

    @property
    def forecast(self) -> float:
        """Where the issue lands by the profile's decision rule after the last round."""
        return float(self._out["forecast"])

    @property
    def rounds(self) -> pa.Table:
        """Per round from 0: the weighted median and mean of the positions."""
        return _table(self._out["rounds"], self.metadata)

    @property
    def trajectory(self) -> pa.Table:
        """Per round and actor: position, risk exponent, the offer accepted."""
        return _table(self._out["trajectory"], self.metadata)

    @property
    def offers(self) -> pa.Table:
        """Every offer made, and whether it was the one accepted."""
        return _table(self._out["offers"], self.metadata)

    @property
    def matrices(self) -> pa.Table:
        """Per round and ordered pair: P, E^i(U_ij) and E^i(U_ji)."""
        return _table(self._out["matrices"], self.metadata)

    def perspective(self, actor: str, round: int = 1) -> pa.Table:
        """Bueno de Mesquita's perspective chart of ``actor`` in ``round``: for each other actor,
        x = the actor's expected utility of challenging it, y = its expected utility of
        challenging the actor as the actor sees it, and the reading of the quadrant."""
        rows = _detente.eum_perspective(self.scenario._issues, self.scenario._stances, actor, round, self.issue,
                                        self.profile, self.options)
        return _table(rows, self.metadata)

    def plot_trajectory(self, ax: Any = None) -> Any:
        """Every actor's position round by round, with the weighted median and mean."""
        plt = _pyplot()
        ax = ax or plt.subplots(figsize=(8, 4.5))[1]
        rows = self._out["trajectory"]
        for actor in self._out["actors"]:
            mine = [r for r in rows if r["actor"] == actor]
            ax.plot([r["round"] for r in mine], [r["position"] for r in mine], marker="o", ms=3, label=actor)
        rounds = self._out["rounds"]
        ax.plot([r["round"] for r in rounds], [r["median"] for r in rounds], "k--", lw=2, label="median")
        ax.plot([r["round"] for r in rounds], [r["mean"] for r in rounds], "k:", lw=2, label="mean")
        ax.set_xlabel("round")
        ax.set_ylabel(self.issue)
        ax.set_title(f"Expected-utility model, {self.profile}")
        ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize="small")
        return ax

    def plot_perspective(self, actor: str, round: int = 1, ax: Any = None) -> Any:
        """The perspective chart as a scatter, quadrants marked."""
        plt = _pyplot()
        ax = ax or plt.subplots(figsize=(5.5, 5.5))[1]
        rows = self.perspective(actor, round).to_pylist()
        ax.axhline(0, color="grey", lw=0.8)
        ax.axvline(0, color="grey", lw=0.8)
        ax.plot([-2, 2], [2, -2], color="grey", lw=0.5, ls=":")
        for r in rows:
            ax.scatter(r["challenge"], r["challenged"], color="#264653")
            ax.annotate(r["other"], (r["challenge"], r["challenged"]), textcoords="offset points", xytext=(4, 4),
                        fontsize="small")
        ax.set_xlabel(f"E^{actor}(U_{actor},j): {actor}'s expected utility of challenging j")
        ax.set_ylabel(f"E^{actor}(U_j,{actor}): j's, as {actor} sees it")
        ax.set_title(f"{actor}'s perspective, round {round}")
        return ax


@dataclass
class ExchangeResult:
    """An exchange-model run: ``outcomes`` (each issue's expected outcome per round),
    ``exchanges`` (both sides of every executed exchange), ``externalities`` and ``final``
    (each issue's outcome after the last round)."""

    _out: Mapping[str, Any] = field(repr=False)

    @property
    def metadata(self) -> dict:
        """The model, its options, the seed where there is one, and detente's version."""
        return _info(self._out["info"])

    @property
    def final(self) -> dict:
        """Each issue's expected outcome after the last round."""
        return dict(self._out["final"])

    @property
    def outcomes(self) -> pa.Table:
        """Per round and issue: the outcome at the round's start and on its votes."""
        return _table(self._out["outcomes"], self.metadata)

    @property
    def exchanges(self) -> pa.Table:
        """Every executed exchange, both sides (prefixes i_ and j_)."""
        return _table(self._out["exchanges"], self.metadata)

    @property
    def externalities(self) -> pa.Table:
        """Per round and actor: the effects of others' exchanges, and its own gains."""
        return _table(self._out["externalities"], self.metadata)

    def plot_outcomes(self, ax: Any = None) -> Any:
        """Each issue's expected outcome round by round."""
        plt = _pyplot()
        ax = ax or plt.subplots(figsize=(7, 4))[1]
        rows = self._out["outcomes"]
        for issue in dict.fromkeys(r["issue"] for r in rows):
            mine = [r for r in rows if r["issue"] == issue]
            ax.plot([r["round"] for r in mine], [r["outcome"] for r in mine], marker="o", ms=3, label=issue)
        ax.set_xlabel("round (the last: after the final round)")
        ax.set_ylabel("expected outcome")
        ax.set_title("Exchange model (Equal Gain)")
        ax.legend(fontsize="small")
        return ax


@dataclass
class MonteCarloResult:
    """A Monte Carlo: ``summary`` (per issue: unperturbed forecast, mean, sd, quantiles 5–95%)
    and ``draws`` (per issue, every draw's outcome; NaN where a draw could not run)."""

    _out: Mapping[str, Any] = field(repr=False)

    @property
    def metadata(self) -> dict:
        """The model, its options, the seed where there is one, and detente's version."""
        return _info(self._out["info"])

    @property
    def summary(self) -> pa.Table:
        """Per issue: unperturbed forecast, mean, sd, quantiles 5–95%, draws, skipped."""
        return _table(self._out["summary"], self.metadata)

    @property
    def draws(self) -> dict:
        """Per issue, every draw's outcome in draw order (NaN where it was skipped)."""
        return {k: list(v) for k, v in self._out["draws"].items()}

    def plot(self, issue: Optional[str] = None, ax: Any = None) -> Any:
        """A histogram of one issue's outcomes (default: the first)."""
        plt = _pyplot()
        ax = ax or plt.subplots(figsize=(6, 3.5))[1]
        issue = issue or next(iter(self._out["draws"]))
        values = [x for x in self._out["draws"][issue] if x == x]
        ax.hist(values, bins=30, color="#2a9d8f")
        ax.set_xlabel(issue)
        ax.set_ylabel("draws")
        return ax


def eum(scenario: Scenario, issue: Optional[str] = None, profile: str = "scholz2011_code", **options: Any) -> EumResult:
    """``scenario.eum(...)``."""
    return scenario.eum(issue, profile, **options)


def exchange(scenario: Scenario, rounds: int = 10, decide_seed: Optional[int] = None) -> ExchangeResult:
    """``scenario.exchange(...)``."""
    return scenario.exchange(rounds, decide_seed)


def baselines(scenario: Scenario) -> pa.Table:
    """``scenario.baselines()``."""
    return scenario.baselines()


__all__ = ["Scenario", "EumResult", "ExchangeResult", "MonteCarloResult", "EUM_PROFILES", "eum", "exchange",
           "baselines"]
