"""detente's negotiation models against the Python reference implementations, same inputs, same
process: the expected-utility model for 10 rounds on the EC case (jmckib's port of Scholz's code)
and the Equal Gain model for 10 rounds on COP21 (Decide 2025.3.1). detente runs through its
Python binding, so its times include building the result rows.

The references are third-party code and not part of this repository; point the script at them:

    python bench/negotiation_vs_reference.py \\
        --eum-reference /path/to/bdm_scholz_model.py \\  # dmasad/bdm-scholz-expected-utility-model
        --decide /path/to/dir/holding/the/decide/package   # pip download decide-exchange-model; unzip

Decide needs typesystem==0.2.5, peewee and blinker importable. A reference that is not given is
skipped. Prints a Markdown table of median times and the ratio.
"""

import argparse
import csv
import importlib.util
import os
import pathlib
import random
import statistics
import sys
import time

from detente.negotiation import Scenario

ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED = pathlib.Path(os.environ.get("DETENTE_SHARED", ROOT.parent / "shared")) / "negotiation"
EC = SHARED / "eum" / "scholz_jmckib" / "inputs" / "ExampleActors.csv"
COP21 = SHARED / "decide" / "inputs" / "cop21.csv"


def median_time(runs, f):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def eum_reference(path):
    spec = importlib.util.spec_from_file_location("bdm_scholz_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = list(csv.DictReader(EC.open()))

    def run():
        model = module.BDMScholzModel(rows, q=1.0, verbose=False)
        model.run_model(num_rounds=10)
        assert model.median_position() == 7.0

    return run


def decide_reference(directory):
    sys.path.insert(0, str(directory))
    from decide.data.modelfactory import ModelFactory
    from decide.data.reader import InputDataFile
    from decide.model import equalgain
    from decide.model.utils import ModelLoop

    class Quiet:
        def __getattr__(self, name):
            return lambda *a, **k: None

    def run():
        random.seed(0)
        model = ModelFactory(InputDataFile.open(COP21)).create(model_klass=equalgain.EqualGainModel,
                                                               randomized_value=0.0)
        loop = ModelLoop(model, Quiet(), 0)
        for _ in range(10):
            loop.loop()

    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eum-reference", type=pathlib.Path)
    parser.add_argument("--decide", type=pathlib.Path)
    parser.add_argument("--runs", type=int, default=5)
    a = parser.parse_args()

    ec = Scenario.read(EC, issue="emissions", scale=(0.0, 10.0))
    cop21 = Scenario.read(COP21)
    ours_eum = median_time(a.runs * 20, lambda: ec.eum())
    # Decide mode computes as Decide does, in 28-digit decimals; the default in binary floats.
    ours_exchange = median_time(a.runs, lambda: cop21.exchange(decide_seed=0))
    ours_binary = median_time(a.runs * 4, lambda: cop21.exchange())

    print("| model, input | Python reference | detente (via Python) | ratio |")
    print("| --- | --- | --- | --- |")
    if a.eum_reference:
        theirs = median_time(a.runs, eum_reference(a.eum_reference))
        print(f"| EUM, EC case, 10 rounds | {theirs * 1e3:.1f} ms | {ours_eum * 1e3:.3f} ms | {theirs / ours_eum:.0f}× |")
    else:
        print(f"| EUM, EC case, 10 rounds | (not given) | {ours_eum * 1e3:.3f} ms | |")
    theirs = median_time(a.runs, decide_reference(a.decide)) if a.decide else None
    for what, ours in [("Decide mode, 28-digit decimals", ours_exchange), ("default, binary floats", ours_binary)]:
        if theirs:
            print(f"| Equal Gain, COP21, 10 rounds ({what}) | {theirs * 1e3:.0f} ms | {ours * 1e3:.1f} ms | "
                  f"{theirs / ours:.0f}× |")
        else:
            print(f"| Equal Gain, COP21, 10 rounds ({what}) | (not given) | {ours * 1e3:.1f} ms | |")


if __name__ == "__main__":
    main()
