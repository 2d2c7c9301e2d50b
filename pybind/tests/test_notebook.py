"""The example notebooks run from top to bottom (so they cannot rot)."""

import pathlib

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


def _run(name):
    """Executes a notebook of examples/; returns its outputs' text and how many images drew."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "\n".join(str(o.get("data", {}).get("text/plain", "")) + str(o.get("text", "")) for o in outputs)
    return text, sum("image/png" in o.get("data", {}) for o in outputs)


def test_the_example_notebook_executes():
    text, images = _run("moscow_talks.ipynb")
    assert "Relation TUR–SYR" in text and "RUS" in text
    assert images, "the plots drew"


def test_the_negotiation_notebook_executes():
    text, images = _run("negotiation.ipynb")
    assert "forecast (weighted median after 10 rounds): 55.0" in text
    assert "scholz2011_code" in text and "TUR" in text
    assert images >= 4, "the plots drew"


def test_the_scale_out_notebook_executes():
    # Spark needs Java: without it this fails (the test command runs where Java is).
    text, _ = _run("scale_out.ipynb")
    assert "Dask's sums are Spark's: True" in text
    assert "series equal: True" in text and "network equal: True" in text
    assert "mediators need the events" in text
    assert "second time: 0 added; True every file known" in text
