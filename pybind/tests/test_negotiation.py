"""detente.negotiation: the published EC case through Python, scenarios from DataFrames and
files, the Moscow example under both models, reproducible Monte Carlo, located errors, plots."""

import os
import pathlib
import pickle

import pyarrow as pa
import pytest

import detente
from detente.negotiation import Scenario

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = pathlib.Path(os.environ.get("DETENTE_SHARED", ROOT.parent / "shared"))
EC = SHARED / "negotiation" / "eum" / "scholz_jmckib" / "inputs" / "ExampleActors.csv"


@pytest.fixture
def ec():
    return Scenario.read(EC, issue="emissions")


def test_the_ec_case_follows_the_published_path(ec):
    run = ec.eum()
    medians = run.rounds.column("median").to_pylist()
    # Scholz et al.'s code (via jmckib's port): 7, 8.416, 9.611, 9.962 … back to 7 in round 10.
    assert medians[0] == 7.0 and medians[-1] == 7.0
    assert abs(medians[1] - 8.415932315426765) < 1e-9 and abs(medians[2] - 9.610859134120188) < 1e-9
    assert run.forecast == 7.0
    assert run.metadata["profile"] == "scholz2011_code" and run.metadata["version"] == detente.__version__
    assert run.rounds.schema.metadata[b"probability"] == b"global_share"
    belgium = {r["other"]: r for r in run.perspective("Belgium", 1).to_pylist()}
    assert abs(belgium["Luxembourg"]["challenge"] - 0.606) < 0.01 and belgium["Luxembourg"]["reading"] == "conflict"
    moved = [r for r in run.offers.to_pylist() if r["round"] == 1 and r["accepted"]]
    assert sorted(r["receiver"] for r in moved) == ["Belgium", "Ireland", "Luxembourg"]


def test_profile_options_change_the_model_and_are_recorded(ec):
    paper = ec.eum(profile="scholz2011_paper")
    assert paper.metadata["probability"] == "pair_share"
    custom = ec.eum(q=0.5, t="eftekhari", rounds=4)
    assert custom.metadata["profile"] == "custom" and custom.rounds.num_rows == 5
    with pytest.raises(detente.InvalidInputError) as e:
        ec.eum(probability="votes")
    assert e.value.field == "profile.probability"


def test_scenarios_come_from_frames_and_say_where_they_are_wrong():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({
        "actor": ["Turkiye", "Syria", "Turkiye", "Syria"],
        "issue": ["withdrawal", "withdrawal", "returns", "returns"],
        "position": [15, 100, 90, 40],
        "salience": [80, 95, 90, 40],
        "capability": [0.35, 0.15, 0.35, 0.3],
    })
    s = Scenario.from_frame(frame, salience_scale="percent")
    assert s.actors == ["Turkiye", "Syria"] and [i["id"] for i in s.issues] == ["withdrawal", "returns"]
    assert s.stances.column("salience").to_pylist() == [0.8, 0.95, 0.9, 0.4]
    with pytest.raises(detente.InvalidInputError) as e:
        Scenario.from_frame(frame, salience_scale="fraction")
    assert e.value.field == "stances[0].salience" and "percent" in str(e.value)
    with pytest.raises(detente.InvalidInputError) as e:
        Scenario([{"id": "w", "min": 0, "max": 10}], [{"actor": "A", "issue": "w", "position": 20, "salience": 1,
                                                       "capability": 1}])
    assert e.value.field == "stances[0].position"
    # A scenario survives pickling and Decide's format.
    again = pickle.loads(pickle.dumps(s))
    assert again.stances == s.stances
    assert "#D\t'Syria'\t'returns'\t40\t0.4\t0.3" in s.to_decide()


def test_the_moscow_example_under_both_models_with_a_reproducible_spread():
    talks = Scenario.example("moscow-2023")
    assert talks.actors == ["Turkiye", "Syria", "Russia", "Iran"]
    assert talks.eum("withdrawal").forecast == 55.0
    x = talks.exchange()
    first = x.exchanges.to_pylist()[0]
    assert (first["i_actor"], first["i_supply"], first["j_actor"], first["j_supply"]) == (
        "Syria", "returns", "Turkiye", "withdrawal")
    assert set(x.final) == {"withdrawal", "returns"}
    a = talks.monte_carlo("eum", draws=200, seed=5)
    b = talks.monte_carlo("eum", draws=200, seed=5)
    assert a.draws == b.draws and a.summary == b.summary
    assert a.metadata["monte_carlo.seed"] == "5"
    assert a.draws != talks.monte_carlo("eum", draws=200, seed=6).draws
    row = a.summary.to_pylist()[0]
    assert row["q05"] <= row["q50"] <= row["q95"]


def test_pairs_come_with_their_relation_from_a_store():
    m = detente.Model()
    m.ingest({"id": "moscow", "published": "2023-05-11",
              "text": "Turkish Foreign Minister Mevlut Cavusoglu met Syrian Foreign Minister Faisal Mekdad in Moscow."})
    pairs = Scenario.example().relations(m).to_pylist()
    assert len(pairs) == 6
    assert (pairs[0]["a_code"], pairs[0]["b_code"]) == ("TUR", "SYR") and pairs[0]["score"] > 0


def test_plots_draw(ec):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    run = ec.eum()
    assert len(run.plot_trajectory().lines) == 12  # ten actors, the median and the mean
    assert len(run.plot_perspective("Belgium").collections) == 9
    assert Scenario.example().exchange().plot_outcomes().get_legend() is not None
    assert Scenario.example().monte_carlo(draws=50).plot().patches
