"""detente.parse: words, tags, lemmas and trees as a pyarrow table."""

import pyarrow as pa
import pytest

import detente


def test_parse_returns_one_row_per_word_with_its_tree():
    text = "Syria's foreign minister met Lavrov in Moscow. Ankara said it would lift restrictions."
    t = detente.parse(text)
    assert isinstance(t, pa.Table)
    assert t.column_names == ["sentence", "id", "form", "lemma", "upos", "xpos", "head", "deprel", "start", "end"]
    rows = t.to_pylist()
    # Character spans point back into the text.
    assert all(text[r["start"]:r["end"]] == r["form"] for r in rows)
    assert {r["sentence"] for r in rows} == {0, 1}
    first = [r for r in rows if r["sentence"] == 0]
    by_form = {r["form"]: r for r in first}
    assert by_form["met"]["deprel"] == "root" and by_form["met"]["head"] == 0
    assert by_form["Lavrov"]["head"] == by_form["met"]["id"]
    assert by_form["minister"]["lemma"] == "minister"
    said = [r for r in rows if r["sentence"] == 1 and r["form"] == "said"][0]
    assert said["lemma"] == "say" and said["xpos"] == "VBD"


def test_parse_of_nothing_is_an_empty_table():
    assert detente.parse("").num_rows == 0


def test_parse_takes_text_only():
    with pytest.raises(TypeError):
        detente.parse(42)


def test_parse_columns_are_explained():
    # Every column of the table, with the core's description, in the docstring.
    from detente._detente import columns

    assert [name for name, _ in columns("parse")] == detente.parse("Talks began.").column_names
    for name, what in columns("parse"):
        assert f"``{name}``" in detente.parse.__doc__ and what in detente.parse.__doc__
