"""The Python module end to end, on our own article about the May 2023 Moscow talks."""

import concurrent.futures
import datetime
import json
import os
import pathlib
import pickle
import subprocess

import pyarrow as pa
import pytest

import detente

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTICLE = (ROOT / "examples" / "moscow-talks-2023.txt").read_text()
PUBLISHED = "2023-05-11"


@pytest.fixture
def model():
    m = detente.Model()
    m.ingest({"id": "moscow", "published": PUBLISHED, "text": ARTICLE})
    return m


def test_code_returns_events_with_provenance():
    events = detente.Model().code(ARTICLE, published=PUBLISHED, doc_id="moscow").to_pylist()
    pairs = {(e["source"], e["target"], e["code"]) for e in events}
    assert ("TURGOV", "SYRGOV", "040") in pairs, "the Moscow meeting"
    assert ("RUSGOV", "TURGOV", "043") in pairs, "Russia hosted it"
    demand = next(e for e in events if e["code"].startswith("105"))
    assert demand["source"] == "SYRGOV" and demand["target_country"] == "TUR"
    start, end = demand["span"]
    assert ARTICLE[start:end] in demand["evidence"] and ARTICLE[start:end].startswith("Syrian Foreign Minister")
    assert all(e["doc_id"] == "moscow" and e["rule"] for e in events)
    december = [e for e in events if e["date"] == datetime.date(2022, 12, 1)]
    assert december and all(e["historical"] for e in december)


def test_a_plain_string_is_ingested_under_its_id_as_code_takes_it():
    m = detente.Model()
    coded = m.code(ARTICLE, published=PUBLISHED, doc_id="moscow-plain")
    report = m.ingest(ARTICLE, published=PUBLISHED, doc_id="moscow-plain", title="Moscow talks")
    assert report["documents"] == [("moscow-plain", "new", coded.num_rows)]
    doc, events = m.document("moscow-plain")
    assert doc["title"] == "Moscow talks" and events.column("id").to_pylist() == coded.column("id").to_pylist()


def test_ingest_is_idempotent_and_reports_each_document(model):
    again = model.ingest({"id": "moscow", "published": PUBLISHED, "text": ARTICLE})
    assert again["unchanged_documents"] == 1 and again["events_added"] == 0
    with pytest.raises(detente.ConflictError):
        model.ingest({"id": "moscow", "published": PUBLISHED, "text": ARTICLE + " More."})
    recoded = model.ingest({"id": "moscow", "published": PUBLISHED, "text": ARTICLE + " More."}, recode=True)
    ((doc_id, status, n),) = recoded["documents"]
    assert (doc_id, status) == ("moscow", "recoded")
    doc, events = model.document("moscow")
    assert doc["text"].endswith("More.") and events.num_rows == n
    # The same sentences code to the same events: only the text changed.
    assert recoded["events_added"] == recoded["events_removed"] == 0
    # Re-coded again with nothing changed: said so.
    same = model.ingest({"id": "moscow", "published": PUBLISHED, "text": ARTICLE + " More."}, recode=True)
    assert (same["unchanged_documents"], same["recoded_documents"], same["events_added"]) == (1, 0, 0)


def test_events_filters(model):
    dyad = model.events(dyad=("Turkey", "Syria"))
    # The two meetings, Turkey's wish to cooperate, Syria's demand and the ministers' agreement
    # (both ways).
    assert dyad.num_rows == 6
    assert model.events(dyad=("SYR", "TUR"), directed=True).num_rows == 4, "the meetings are symmetric"
    assert model.events(dyad=("TURGOV", "SYRGOV"), exact=True).num_rows == 3
    assert model.events(actor="RUS", code="043").num_rows == 5
    assert model.events(root="04", start="2023-01-01").num_rows == 9
    assert model.events(dyad=("TUR", "SYR"), quad=3).num_rows == 1
    assert model.events(limit=4).num_rows == 4
    with pytest.raises(detente.InvalidInputError) as e:
        model.events(start="2023-13-01")
    assert e.value.field == "start" and e.value.reason == "INVALID_FIELD"


def test_relation_shifts_mediators_network(model):
    rel = model.relation("TUR", "SYR", freq="month", start="2022-12-01", end="2023-06-30")
    assert rel.column("period")[0] == datetime.date(2022, 12, 1) and len(rel) == 7
    may = rel.table.to_pylist()[5]
    assert (may["count"], may["quad1"], may["quad3"]) == (5, 4, 1), "a thaw: four cooperative, one demand"
    assert rel.column("count")[1:5] == [0, 0, 0, 0], "empty months are zeros"
    behind = model.relation_events("TUR", "SYR", "2023-05-20")
    assert behind.num_rows == 5
    assert "TUR–SYR" in repr(rel) and "<table>" in rel._repr_html_()
    shifts = model.shifts("TUR", "SYR", penalty=0.5, min_size=1)
    assert shifts.schema.field("events").type.value_type.field("evidence").type == pa.string()
    mediators = model.mediators("TUR", "SYR").to_pylist()
    assert mediators[0]["actor"] == "RUS" and mediators[0]["hosted"] == 2
    net = model.network()
    assert {"TUR", "SYR", "RUS", "IRN"} <= set(net.nodes.column("actor").to_pylist())
    assert 0.0 <= net.balanced_share <= 1.0 and net.triads >= 1


def test_dictionary(model):
    assert model.resolve("Hakan Fidan", date="2023-05-10")["code"] == "TURSPY"
    assert detente.resolve("Hakan Fidan", date=datetime.date(2023, 7, 1))["office"] == "foreign minister"
    model.add_actor("RUR", "country", ["Ruritania", "Kingdom of Ruritania"])
    assert model.resolve("Kingdom of Ruritania")["code"] == "RUR"
    countries = model.actors(kind="country", code="SY")
    assert "SYR" in countries.column("code").to_pylist()
    with pytest.raises(detente.InvalidInputError):
        model.actors(kind="planet")


def test_tables_in_pandas_and_polars(model):
    pd = pytest.importorskip("pandas")
    pl = pytest.importorskip("polars")
    events = model.events()
    df = events.to_pandas()
    assert isinstance(df["source"].dtype, pd.CategoricalDtype)
    assert isinstance(df["date"].iloc[0], datetime.date)
    assert df["goldstein"].dtype == "float64" and df["directed"].dtype == bool
    p = pl.from_arrow(events)
    assert p.schema["date"] == pl.Date and p.schema["source"] == pl.Categorical
    rel = model.relation("TUR", "SYR").to_polars()
    assert rel.schema["period"] == pl.Date and rel.schema["count"] == pl.Int64
    assert pl.DataFrame(model.relation("TUR", "SYR")).height == rel.height, "the PyCapsule interface"

    # DataFrames in: documents and events.
    m = detente.Model()
    docs = pd.DataFrame({"id": ["a", "b"], "published": [datetime.date(2023, 5, 11)] * 2,
                         "text": ["Turkey accused Syria of shelling.", "Russia praised Iran."]})
    assert m.ingest(docs)["new_documents"] == 2
    added = m.add_events(pl.DataFrame({"id": ["x:1"], "date": [datetime.date(2023, 6, 1)], "source": ["TURGOV"],
                                       "target": ["SYRGOV"], "code": ["057"]}))
    assert added["added"] == 1
    with pytest.raises(detente.InvalidInputError, match="strings"):
        m.add_events(pd.DataFrame({"date": ["2023-06-01"], "code": [43]}))


def test_bad_input_and_exceptions(tmp_path):
    m = detente.Model()
    with pytest.raises(detente.InvalidInputError) as e:
        m.add_events([{"date": "2023-05-10", "source": "TUR", "target": "SYR", "code": "040"},
                      {"date": "2023-05-10", "source": "TUR", "target": "SYR", "code": "999"}])
    assert isinstance(e.value, ValueError) and e.value.field == "code" and "line 2" in str(e.value)
    assert len(m) == 0, "nothing of a refused batch is stored"
    with pytest.raises(detente.InvalidInputError) as e:
        m.code("Turkey met Syria.")
    assert e.value.field == "published"
    with pytest.raises(detente.UnknownActorError) as e:
        m.relation("TUR", "Ruritania")
    assert isinstance(e.value, LookupError) and "Ruritania" in str(e.value)
    assert e.value.reason == "UNKNOWN_ACTOR"
    with pytest.raises(detente.InvalidInputError) as e:
        m.relation("TUR", "Turkey")
    assert e.value.field == "b", "a relation is between two actors"
    with pytest.raises(detente.NotFoundError) as e:
        m.document("nope")
    assert e.value.reason == "DOCUMENT_NOT_FOUND"
    m.add_events([{"id": "k", "date": "2023-05-10", "source": "TUR", "target": "SYR", "code": "040"}])
    with pytest.raises(detente.ConflictError) as e:
        m.add_events([{"id": "k", "date": "2023-05-10", "source": "TUR", "target": "SYR", "code": "111"}])
    assert e.value.reason == "ID_CONFLICT"
    store = tmp_path / "store"
    writer = detente.Model(store)
    with pytest.raises(detente.StoreLockedError) as e:
        detente.Model(store)
    assert e.value.reason == "STORE_LOCKED"
    assert detente.Model(store, read_only=True).read_only
    del writer
    for cls in (detente.InvalidInputError, detente.UnknownActorError, detente.ConflictError,
                detente.CorruptStoreError):
        err = pickle.loads(pickle.dumps(cls("message")))
        assert type(err) is cls and str(err) == "message"


def test_a_damaged_segment_is_an_error_never_data(tmp_path):
    store = tmp_path / "store"
    m = detente.Model(store)
    m.add_events([{"id": "k", "date": "2023-05-10", "source": "TUR", "target": "SYR", "code": "040"}])
    del m
    (segment,) = (store / "segments").glob("*.arrow")
    data = bytearray(segment.read_bytes())
    data[len(data) // 2] ^= 0x01
    segment.write_bytes(bytes(data))
    with pytest.raises(detente.CorruptStoreError) as e:
        detente.Model(store, read_only=True)
    assert segment.name in str(e.value) and "detente store repair" in str(e.value)


def test_pickling(tmp_path, model):
    with pytest.raises(TypeError, match="in-memory"):
        pickle.dumps(model)
    store = detente.Model(tmp_path / "store")
    store.ingest({"id": "moscow", "published": PUBLISHED, "text": ARTICLE})
    with pytest.warns(UserWarning, match="read-only"):
        copy = pickle.loads(pickle.dumps(store))
    assert len(copy) == len(store) and copy.read_only, "the writer still holds it: the copy reads"
    assert copy.relation("TUR", "SYR") == store.relation("TUR", "SYR")
    rel = model.relation("TUR", "SYR")
    assert pickle.loads(pickle.dumps(rel)) == rel
    for table in (model.events(), model.shifts("TUR", "SYR", penalty=0.5, min_size=1), model.mediators("TUR", "SYR")):
        back = pickle.loads(pickle.dumps(table))
        assert back.column_names == table.column_names and back.to_pylist() == table.to_pylist()
    net = pickle.loads(pickle.dumps(model.network()))
    assert net.blocs() == model.network().blocs()
    agg = detente.Aggregates.from_events(model.events())
    assert pickle.loads(pickle.dumps(agg)).to_arrow().equals(agg.to_arrow())


def test_one_model_many_threads(model):
    def work(i):
        if i % 4 == 0:
            return model.ingest({"id": f"t{i}", "published": PUBLISHED, "text": "Turkey accused Syria of shelling."})["new_documents"]
        if i % 4 == 1:
            return len(model.relation("TUR", "SYR", freq="day"))
        if i % 4 == 2:
            return model.events(dyad=("TUR", "SYR")).num_rows
        return len(model.code("Iran praised Russia.", published=PUBLISHED))

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(64)))
    assert sum(results[0::4]) == 16, "every ingest stored once"
    assert model.events(dyad=("TUR", "SYR")).num_rows == 6 + 16


def test_batches_for_workers_merge_into_the_models_series(model):
    texts = [ARTICLE, "Turkey accused Syria of shelling its border towns.", "Syria criticised Turkey."]
    docs = pa.table({"id": ["p0", "p1", "p2"], "published": [PUBLISHED] * 3, "text": texts})
    parts = [detente.code_batch(docs.slice(i, 1)) for i in range(3)]
    whole = detente.Model()
    for i in range(3):
        whole.ingest(docs.slice(i, 1))
    merged = detente.Aggregates.from_events(parts[0]).merge(*[detente.Aggregates.from_events(p) for p in parts[1:]])
    assert merged.events == sum(p.num_rows for p in parts)
    assert merged.relation("TUR", "SYR") == whole.relation("TUR", "SYR")


def test_parity_with_the_command_line(tmp_path, model):
    binary = os.environ.get("DETENTE_BIN", str(ROOT / "target" / "debug" / "detente"))
    if not pathlib.Path(binary).exists():
        pytest.skip("the detente binary is not built")
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps({"id": "moscow", "published": PUBLISHED, "text": ARTICLE}))
    out = subprocess.run([binary, "--data", str(tmp_path / "s"), "code", str(doc), "--format", "jsonl"],
                         capture_output=True, text=True, check=True).stdout
    cli = [json.loads(line) for line in out.splitlines()]
    py = model.code({"id": "moscow", "published": PUBLISHED, "text": ARTICLE}).to_pylist()
    assert [(e["id"], e["code"], e["source"], e["target"]) for e in cli] == [
        (e["id"], e["code"], e["source"], e["target"]) for e in py
    ]
    subprocess.run([binary, "--data", str(tmp_path / "s"), "ingest", str(doc)], capture_output=True, check=True)
    out = subprocess.run([binary, "--data", str(tmp_path / "s"), "relation", "TUR", "SYR", "--format", "jsonl"],
                         capture_output=True, text=True, check=True).stdout
    cli_series = [json.loads(line) for line in out.splitlines()]
    py_series = model.relation("TUR", "SYR").table.to_pylist()
    assert [p["count"] for p in cli_series] == [p["count"] for p in py_series]
    assert [p["score"] for p in cli_series] == pytest.approx([p["score"] for p in py_series], abs=1e-4)


def test_help_is_useful():
    assert "freq" in detente.Model.relation.__doc__ and "half_life_days" in detente.Model.relation.__doc__
    assert "pyarrow" in detente.model.__doc__
    assert (pathlib.Path(detente.__file__).parent / "py.typed").exists()
    assert (pathlib.Path(detente.__file__).parent / "_detente.pyi").exists()


def test_plots_draw_under_agg(model):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from detente import plot

    fig = plot.timeline(model.relation("TUR", "SYR"), shifts=model.shifts("TUR", "SYR", penalty=0.5, min_size=1))
    assert fig.axes and fig.axes[0].get_title() == "TUR–SYR by month"
    fig2 = plot.network(model.network())
    assert len(fig2.axes[0].collections) == 4, "one marker per actor"


def test_events_by_id_and_deleted():
    m = detente.Model()
    rows = [{"id": f"g{i}", "date": "2023-05-10", "source": "GRC", "target": "TUR", "code": c}
            for i, c in enumerate(["040", "111", "190", "036"])]
    m.add_events(rows)
    assert m.events_by_id(["g2", "g0"]).column("code").to_pylist() == ["190", "040"]
    with pytest.raises(detente.NotFoundError) as e:
        m.events_by_id(["g0", "nope"])
    assert e.value.reason == "EVENT_NOT_FOUND"
    with pytest.raises(detente.NotFoundError):
        m.delete_events(["g0", "nope"])
    assert len(m) == 4, "all or none"
    assert m.delete_events(["g0"]) == 1
    with pytest.raises(detente.InvalidInputError) as e:
        m.delete_events(root=["11", "19"])
    assert e.value.field == "confirm"
    assert m.delete_events(root=["11", "19"], confirm=True) == 2
    assert m.events().column("id").to_pylist() == ["g3"]



def test_newest_first_documents_and_user_entries(tmp_path):
    m = detente.Model(tmp_path / "store")
    rows = [{"id": f"n{i}", "date": f"2023-05-0{i}", "source": "CYP", "target": "GRC", "code": "040"}
            for i in range(1, 5)]
    m.add_events(rows)
    assert m.events(order_by="date desc").column("id").to_pylist() == ["n4", "n3", "n2", "n1"]
    with pytest.raises(detente.InvalidInputError) as e:
        m.events(order_by="size")
    assert e.value.field == "order_by"
    before = m.revision

    text = "Turkish Foreign Minister Mevlut Cavusoglu met Syrian Foreign Minister Faisal Mekdad in Moscow."
    m.ingest([{"id": "wire:2", "published": "2023-05-11", "text": text},
              {"id": "web:1", "published": "2023-05-10", "text": text}])
    assert m.revision > before
    docs = m.documents()
    assert docs.column("id").to_pylist() == ["web:1", "wire:2"]
    assert all(n > 0 for n in docs.column("events").to_pylist())
    assert m.documents(id_prefix="wire:", text=True).column("text").to_pylist() == [text]
    assert m.delete_document("web:1") == docs.column("events").to_pylist()[0]
    assert m.documents().column("id").to_pylist() == ["wire:2"]
    with pytest.raises(detente.NotFoundError):
        m.delete_document("web:1")

    entry_id = m.add_actor("ZQRGOV", "body", ["Zed Republic; Government of"])
    assert entry_id > 0 and m.add_actor("ZQRGOV", "body", ["Zed Republic; Government of"]) == entry_id
    m.update_actor(entry_id, "ZQRMIL", "body", ["Zed Republic; Government of"])
    assert m.resolve("Zed Republic; Government of")["code"] == "ZQRMIL"
    assert m.delete_actor(entry_id) == "ZQRMIL"
    with pytest.raises(detente.UnknownActorError):
        m.resolve("Zed Republic; Government of")
    with pytest.raises(detente.NotFoundError):
        m.delete_actor(entry_id)


def test_a_watch_sees_additions_and_removals_once_and_resumes(tmp_path):
    m = detente.Model(tmp_path / "store")
    ev = lambda i, code: {"id": f"w{i}", "date": "2023-05-10", "source": "TUR", "target": "SYR", "code": code}
    m.add_events([ev(0, "040")])
    start = m.revision

    # A follower thread while this one writes: each write arrives once, as it commits.
    def follow():
        seen = []
        for change in m.watch(start, timeout=2.0):
            seen.append(change)
            if len(seen) == 3:
                break
        return seen

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        watching = pool.submit(follow)
        m.add_events([ev(1, "111"), ev(2, "190")])
        m.add_events([ev(1, "112")], replace=True)
        m.delete_events(["w2"])
        seen = watching.result(timeout=30)
    assert [(c.added.column("code").to_pylist(), c.removed.column("code").to_pylist()) for c in seen] == [
        (["111", "190"], []), (["112"], ["111"]), ([], ["190"])]
    assert [c.revision for c in seen] == sorted({c.revision for c in seen})

    # Resuming from the last revision seen repeats nothing; the filters are the events' own.
    changes, now = m.changes(seen[-1].revision)
    assert changes == [] and now == m.revision
    conflict, _ = m.changes(start, root="19")
    assert [(c.added.num_rows, c.removed.num_rows) for c in conflict] == [(1, 0), (0, 1)]
    assert list(m.watch(timeout=0.05)) == [], "idle: the watch ends at its timeout"

    # Another process's changes are not replayable: the caller must list again.
    del m
    m = detente.Model(tmp_path / "store")
    with pytest.raises(detente.InvalidInputError) as e:
        m.changes(start)
    assert e.value.reason == "REVISION_TOO_OLD"
