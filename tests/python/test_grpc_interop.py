"""The gRPC service as a client nobody here wrote sees it: Python's official grpcio, with stubs
generated from proto/ by grpcio-tools at test time, health checking, reflection, and the
google.rpc.BadRequest details of a bad request."""

import contextlib
import importlib
import pathlib
import shutil
import subprocess
import sys

import grpc
import pytest
from google.rpc import error_details_pb2
from google.protobuf import field_mask_pb2
from google.type import date_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
from grpc_status import rpc_status

from conftest import ROOT

MOSCOW = (
    "Turkish Foreign Minister Mevlut Cavusoglu met Syrian Foreign Minister Faisal Mekdad in Moscow "
    "on Wednesday. Russia hosted the talks."
)


def D(text):
    """A google.type.Date from YYYY-MM-DD."""
    y, m, d = (int(x) for x in text.split("-"))
    return date_pb2.Date(year=y, month=m, day=d)


@pytest.fixture(scope="module")
def stubs(tmp_path_factory):
    out = tmp_path_factory.mktemp("stubs")
    from grpc_tools import protoc

    # Under another directory name: `detente` is our Python module's name.
    src = out / "protos" / "detente_api" / "v1"
    src.mkdir(parents=True)
    shutil.copy(ROOT / "proto" / "detente" / "v1" / "detente.proto", src / "detente.proto")
    # The googleapis imports resolve against the copies in proto/; their Python modules come from
    # googleapis-common-protos, as an integrator's would.
    import grpc_tools

    well_known = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{out / 'protos'}",
        f"-I{ROOT / 'proto'}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        "detente_api/v1/detente.proto",
    ]
    assert protoc.main(args) == 0
    sys.path.insert(0, str(out))
    try:
        pb2 = importlib.import_module("detente_api.v1.detente_pb2")
        pb2_grpc = importlib.import_module("detente_api.v1.detente_pb2_grpc")
    finally:
        sys.path.remove(str(out))
    return pb2, pb2_grpc


@contextlib.contextmanager
def _served(detente_bin, store, env=None, stderr=subprocess.DEVNULL):
    """`detente serve` on an ephemeral port over `store`: yields (process, address); then SIGTERM
    (unless the body sent it) and a clean exit, status 0."""
    proc = subprocess.Popen(
        [str(detente_bin), "--data", str(store), "serve", "--addr", "127.0.0.1:0"],
        stdout=subprocess.PIPE, stderr=stderr, text=True, env=env,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on "), line
        yield proc, line.split()[-1]
    except BaseException:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
        raise
    if proc.poll() is None:
        proc.terminate()
    code = proc.wait(timeout=60)
    proc.stdout.close()
    assert code == 0, "a clean exit on SIGTERM"


@pytest.fixture(scope="module")
def server(detente_bin, tmp_path_factory):
    with _served(detente_bin, tmp_path_factory.mktemp("grpc") / "store") as (_, addr):
        yield addr


@pytest.fixture
def channel(server):
    with grpc.insecure_channel(server) as ch:
        yield ch


def test_health_and_reflection(channel):
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "detente.v1.DetenteService"):
        answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
    services = ProtoReflectionDescriptorDatabase(channel).get_services()
    assert "detente.v1.DetenteService" in services
    assert "grpc.health.v1.Health" in services


def test_code_ingest_list_and_relation(channel, stubs):
    pb2, pb2_grpc = stubs
    api = pb2_grpc.DetenteServiceStub(channel)
    doc = pb2.Document(id="py:moscow", published=D("2023-05-11"), text=MOSCOW)

    coded = api.CodeText(pb2.CodeTextRequest(documents=[doc]), timeout=30)
    pairs = {(e.source, e.target, e.code) for e in coded.events}
    assert ("TURGOV", "SYRGOV", "040") in pairs
    assert all(e.date == D("2023-05-10") for e in coded.events if e.code == "040"), "dated by 'on Wednesday'"

    report = api.IngestDocuments(pb2.IngestDocumentsRequest(documents=[doc]), timeout=30)
    assert report.new_documents == 1 and report.events_added == len(coded.events)
    assert report.documents[0].status == pb2.DOCUMENT_STATUS_NEW

    page = api.ListEvents(
        pb2.ListEventsRequest(filter=pb2.EventFilter(dyad=["Turkey", "Syria"]), page_size=10), timeout=30
    )
    assert {e.id for e in page.events} <= {e.id for e in coded.events}
    assert any(e.code == "040" and not e.directed for e in page.events)
    assert page.next_page_token == ""

    series = api.GetRelation(
        pb2.GetRelationRequest(
            a="TUR",
            b="SYR",
            options=pb2.SeriesOptions(freq=pb2.FREQUENCY_MONTH, start=D("2023-04-01"), end=D("2023-06-30")),
        ),
        timeout=30,
    )
    assert [p.period for p in series.points] == [D("2023-04-01"), D("2023-05-01"), D("2023-06-01")]
    assert series.points[1].count >= 1 and series.points[1].quad1 >= 1
    assert series.points[0].count == 0 and series.points[2].count == 0


def test_bad_input_carries_the_field(channel, stubs):
    pb2, pb2_grpc = stubs
    api = pb2_grpc.DetenteServiceStub(channel)
    bad = pb2.Event(id="x", date=date_pb2.Date(year=2023, month=2, day=30), source="TUR", target="SYR", code="040")
    add = lambda: api.AddEvents(pb2.AddEventsRequest(events=[bad]), timeout=10)  # noqa: E731
    assert _failure(add)[:2] == (grpc.StatusCode.INVALID_ARGUMENT, "events[0].date")

    with pytest.raises(grpc.RpcError) as err:
        api.GetRelation(pb2.GetRelationRequest(a="TUR", b="Ruritania"), timeout=10)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND


def test_gzip_both_ways(server, stubs):
    """A client that compresses its requests with gzip is understood, and one that accepts gzip
    gets answers (grpcio accepts gzip responses whenever it is built with it)."""
    pb2, pb2_grpc = stubs
    with grpc.insecure_channel(server, compression=grpc.Compression.Gzip) as ch:
        api = pb2_grpc.DetenteServiceStub(ch)
        doc = pb2.Document(id="py:gzip", published=D("2023-05-11"), text=MOSCOW * 50)
        coded = api.CodeText(pb2.CodeTextRequest(documents=[doc]), timeout=30)
        assert any(e.code == "040" for e in coded.events)


def test_health_watch_ends_when_the_server_stops(detente_bin, tmp_path):
    """A client watching health sees NOT_SERVING and the end of its stream within a second of
    SIGTERM, and the process exits: the watch no longer holds the shutdown."""
    import time

    with _served(detente_bin, tmp_path / "store") as (proc, addr), grpc.insecure_channel(addr) as ch:
        watch = health_pb2_grpc.HealthStub(ch).Watch(health_pb2.HealthCheckRequest(service=""), timeout=60)
        first = next(watch)
        assert first.status == health_pb2.HealthCheckResponse.SERVING
        proc.terminate()
        sent = time.monotonic()
        statuses = [r.status for r in watch]
        ended = time.monotonic() - sent
    assert statuses and statuses[-1] == health_pb2.HealthCheckResponse.NOT_SERVING
    assert ended < 1.0, f"the watch ended {ended:.2f} s after SIGTERM"


def test_added_actors_are_idempotent_and_their_codes_are_codes(channel, stubs):
    pb2, pb2_grpc = stubs
    api = pb2_grpc.DetenteServiceStub(channel)
    entry = pb2.ActorEntry(code="QQZGOV", kind=pb2.ACTOR_KIND_BODY, names=["Qazland government"])
    assert api.AddActors(pb2.AddActorsRequest(entries=[entry, entry]), timeout=10).added == 1
    assert api.AddActors(pb2.AddActorsRequest(entries=[entry]), timeout=10).added == 0
    listed = api.ListActors(pb2.ListActorsRequest(code="QQZGOV"), timeout=10)
    assert len(listed.entries) == 1
    # Usable as a code before any event names it.
    page = api.ListEvents(pb2.ListEventsRequest(filter=pb2.EventFilter(actor="QQZGOV")), timeout=10)
    assert list(page.events) == []


def test_events_by_id_and_deleted(channel, stubs):
    pb2, pb2_grpc = stubs
    api = pb2_grpc.DetenteServiceStub(channel)
    events = [
        pb2.Event(id=f"py:del:{i}", date=D("2023-05-10"), source="GRC", target="TUR", code=code)
        for i, code in enumerate(["040", "111", "190", "036"])
    ]
    api.AddEvents(pb2.AddEventsRequest(events=events), timeout=10)
    assert api.GetEvent(pb2.GetEventRequest(id="py:del:2"), timeout=10).event.code == "190"
    got = api.BatchGetEvents(pb2.BatchGetEventsRequest(ids=["py:del:3", "py:del:0"]), timeout=10)
    assert [e.code for e in got.events] == ["036", "040"]
    missing = lambda: api.BatchGetEvents(pb2.BatchGetEventsRequest(ids=["py:del:0", "py:nope"]), timeout=10)  # noqa: E731
    assert _failure(missing) == (
        grpc.StatusCode.NOT_FOUND, None, ("EVENT_NOT_FOUND", "detente"), ("event", "py:nope")
    )
    # All or none; a filter needs its confirmation.
    with pytest.raises(grpc.RpcError):
        api.DeleteEvents(pb2.DeleteEventsRequest(ids=["py:del:0", "py:nope"]), timeout=10)
    assert api.DeleteEvents(pb2.DeleteEventsRequest(ids=["py:del:0"]), timeout=10).deleted == 1
    greek = pb2.EventFilter(dyad=["GRC", "TUR"], roots=["11", "19"])
    unconfirmed = lambda: api.DeleteEvents(pb2.DeleteEventsRequest(filter=greek), timeout=10)  # noqa: E731
    assert _failure(unconfirmed)[:2] == (grpc.StatusCode.INVALID_ARGUMENT, "confirm")
    assert api.DeleteEvents(pb2.DeleteEventsRequest(filter=greek, confirm=True), timeout=10).deleted == 2
    left = api.ListEvents(pb2.ListEventsRequest(filter=pb2.EventFilter(dyad=["GRC", "TUR"])), timeout=10)
    assert [e.id for e in left.events] == ["py:del:3"]


def _watch_until(stream, done):
    """Reads watch messages until `done(messages)`; returns them."""
    got = []
    for msg in stream:
        got.append(msg)
        if done(got):
            return got
    raise AssertionError(f"the watch ended early after {len(got)} messages")


def test_a_watch_resumes_from_its_revision_missing_nothing_and_repeating_nothing(channel, stubs):
    pb2, pb2_grpc = stubs
    api = pb2_grpc.DetenteServiceStub(channel)
    only = pb2.EventFilter(dyad=["EGY", "ETH"])

    def add(ids, code="040", replace=False):
        events = [pb2.Event(id=i, date=D("2023-05-10"), source="EGY", target="ETH", code=code) for i in ids]
        api.AddEvents(pb2.AddEventsRequest(events=events, replace=replace), timeout=10)

    # Start from a listing's revision: nothing before it comes again.
    add(["w:0"])
    listed = api.ListEvents(pb2.ListEventsRequest(filter=only), timeout=10)
    assert [e.id for e in listed.events] == ["w:0"] and listed.revision > 0
    watch = api.WatchEvents(pb2.WatchEventsRequest(filter=only, start_revision=listed.revision), timeout=60)
    first = _watch_until(watch, lambda got: got[-1].progress_notification)
    assert len(first) == 1 and first[0].revision == listed.revision, "caught up at once: a progress notification"
    add(["w:1", "w:2"])
    got = _watch_until(watch, lambda got: got[-1].revision_complete and not got[-1].progress_notification)
    last_complete = got[-1].revision
    received = [e.id for m in got for e in m.events]
    watch.cancel()

    # The gap: writes while no one watches, another filter's among them, a replacement too.
    add(["w:3"])
    api.AddEvents(pb2.AddEventsRequest(events=[pb2.Event(id="w:x", date=D("2023-05-10"), source="USA",
                                                          target="CHN", code="111")]), timeout=10)
    add(["w:4", "w:5"])
    add(["w:1"], code="111", replace=True)
    during_gap = ["w:3", "w:4", "w:5", "w:1"]

    watch = api.WatchEvents(pb2.WatchEventsRequest(filter=only, start_revision=last_complete), timeout=60)
    got = _watch_until(watch, lambda got: got[-1].progress_notification)
    watch.cancel()
    resumed = [e.id for m in got for e in m.events]
    removed = [(e.id, e.code) for m in got for e in m.removed_events]
    assert resumed == during_gap, "the gap's events, in order, once each"
    assert removed == [("w:1", "040")], "the replaced version, as it was"
    received += resumed
    assert received == ["w:1", "w:2"] + during_gap
    revisions = [m.revision for m in got if not m.progress_notification]
    assert revisions == sorted(set(revisions)), "one complete message per write here, in order"
    print(f"resume: {len(during_gap)} written during the gap, {len(resumed)} received, "
          f"{len(resumed) - len(set(resumed))} duplicates")

    # A revision the service cannot replay (beyond the store's here) is a clear error.
    gone = lambda: next(api.WatchEvents(pb2.WatchEventsRequest(filter=only, start_revision=10**12), timeout=10))  # noqa: E731
    assert _failure(gone)[:2] == (grpc.StatusCode.INVALID_ARGUMENT, "start_revision")


def test_a_revision_from_before_a_restart_asks_the_client_to_list_again(detente_bin, stubs, tmp_path):
    pb2, pb2_grpc = stubs
    store = tmp_path / "store"
    with _served(detente_bin, store) as (_, addr), grpc.insecure_channel(addr) as ch:
        api = pb2_grpc.DetenteServiceStub(ch)
        for i in range(3):
            event = pb2.Event(id=f"r:{i}", date=D("2023-05-10"), source="EGY", target="ETH", code="040")
            api.AddEvents(pb2.AddEventsRequest(events=[event]), timeout=10)
        old = api.ListEvents(pb2.ListEventsRequest(), timeout=10).revision
        assert old >= 2
    with _served(detente_bin, store) as (_, addr), grpc.insecure_channel(addr) as ch:
        api = pb2_grpc.DetenteServiceStub(ch)
        api.AddEvents(pb2.AddEventsRequest(events=[pb2.Event(id="r:9", date=D("2023-05-10"), source="EGY",
                                                             target="ETH", code="111")]), timeout=10)
        stale = lambda: next(api.WatchEvents(pb2.WatchEventsRequest(start_revision=old - 1), timeout=10))  # noqa: E731
        code, field, info, _ = _failure(stale)
        assert (code, field, info) == (grpc.StatusCode.INVALID_ARGUMENT, "start_revision",
                                       ("REVISION_TOO_OLD", "detente"))
        # The way out the error names: list again, watch from the listing's revision.
        now = api.ListEvents(pb2.ListEventsRequest(), timeout=10).revision
        watch = api.WatchEvents(pb2.WatchEventsRequest(start_revision=now), timeout=10)
        assert next(watch).progress_notification
        watch.cancel()


def test_a_watch_reports_removals_of_a_recode_and_progress_while_idle(channel, stubs):
    pb2, pb2_grpc = stubs
    api = pb2_grpc.DetenteServiceStub(channel)
    doc = pb2.Document(id="py:recode", published=D("2023-05-11"), text=MOSCOW)
    api.IngestDocuments(pb2.IngestDocumentsRequest(documents=[doc]), timeout=30)
    only = pb2.EventFilter(doc_id="py:recode")
    watch = api.WatchEvents(pb2.WatchEventsRequest(filter=only, progress_interval_seconds=1), timeout=60)
    # Nothing happens: a progress notification within the interval, at the current revision.
    idle = _watch_until(watch, lambda got: got[-1].progress_notification)
    assert not idle[-1].events and idle[-1].revision > 0
    changed = pb2.Document(id="py:recode", published=D("2023-05-11"), text="Turkey condemned Syria on Wednesday.")
    report = api.IngestDocuments(pb2.IngestDocumentsRequest(documents=[changed], recode=True), timeout=30)
    got = _watch_until(watch, lambda got: got[-1].revision_complete and not got[-1].progress_notification)
    watch.cancel()
    change = [m for m in got if not m.progress_notification]
    removed = [e for m in change for e in m.removed_events]
    added = [e for m in change for e in m.events]
    assert len(removed) == report.events_removed > 0, "the old coding's events are reported removed"
    assert any(e.code == "040" for e in removed)
    assert len(added) == report.events_added and any(e.code.startswith("11") for e in added)


def _failure(call):
    """(code, BadRequest field or None, ErrorInfo (reason, domain), ResourceInfo or None) of a
    failed call, from its google.rpc.Status details."""
    with pytest.raises(grpc.RpcError) as err:
        call()
    status = rpc_status.from_call(err.value)
    field, info, resource = None, None, None
    for detail in status.details:
        for cls in (error_details_pb2.BadRequest, error_details_pb2.ErrorInfo, error_details_pb2.ResourceInfo):
            msg = cls()
            if detail.Is(msg.DESCRIPTOR):
                detail.Unpack(msg)
                if cls is error_details_pb2.BadRequest:
                    field = msg.field_violations[0].field
                elif cls is error_details_pb2.ErrorInfo:
                    info = (msg.reason, msg.domain)
                else:
                    resource = (msg.resource_type, msg.resource_name)
    return err.value.code(), field, info, resource


def test_errors_name_the_request_field_and_a_stable_reason(channel, stubs):
    pb2, pb2_grpc = stubs
    api = pb2_grpc.DetenteServiceStub(channel)
    invalid = grpc.StatusCode.INVALID_ARGUMENT
    bad_field = ("INVALID_FIELD", "detente")

    def listing(**filter_fields):
        return lambda: api.ListEvents(pb2.ListEventsRequest(filter=pb2.EventFilter(**filter_fields)), timeout=10)

    assert _failure(listing(quad_classes=[1, 5]))[:3] == (invalid, "filter.quad_classes[1]", bad_field)
    assert _failure(listing(quad_classes=[300]))[:2] == (invalid, "filter.quad_classes[0]")
    assert _failure(listing(roots=["19", "190"]))[:2] == (invalid, "filter.roots[1]")
    assert _failure(listing(codes=["040", "999"]))[:2] == (invalid, "filter.codes[1]")
    negative = lambda: api.ListEvents(pb2.ListEventsRequest(page_size=-1), timeout=10)  # noqa: E731
    assert _failure(negative)[:3] == (invalid, "page_size", bad_field)
    # Above the maximum a page size is clamped, not refused.
    api.ListEvents(pb2.ListEventsRequest(page_size=1_000_000), timeout=10)

    half_life = pb2.SeriesOptions(half_life_days=-3)
    relation = lambda: api.GetRelation(pb2.GetRelationRequest(a="TUR", b="SYR", options=half_life), timeout=10)  # noqa: E731
    assert _failure(relation)[:2] == (invalid, "options.half_life_days")
    itself = lambda: api.GetRelation(pb2.GetRelationRequest(a="TUR", b="Turkey"), timeout=10)  # noqa: E731
    assert _failure(itself)[:2] == (invalid, "b")
    unknown = lambda: api.GetRelation(pb2.GetRelationRequest(a="TUR", b="Ruritania"), timeout=10)  # noqa: E731
    assert _failure(unknown) == (
        grpc.StatusCode.NOT_FOUND, None, ("UNKNOWN_ACTOR", "detente"), ("actor", "Ruritania")
    )

    entries = [
        pb2.ActorEntry(code="ZQA", kind=pb2.ACTOR_KIND_COUNTRY, names=["Zedland"]),
        pb2.ActorEntry(code="ZQB", kind=pb2.ACTOR_KIND_COUNTRY, names=["Zedonia"]),
        pb2.ActorEntry(code="zq", kind=pb2.ACTOR_KIND_COUNTRY, names=["Zed"]),
    ]
    add = lambda: api.AddActors(pb2.AddActorsRequest(entries=entries), timeout=10)  # noqa: E731
    assert _failure(add)[:2] == (invalid, "entries[2].code")
    with pytest.raises(grpc.RpcError):
        api.ResolveActor(pb2.ResolveActorRequest(name="Zedland"), timeout=10)

    first = pb2.Document(id="py:conflict", published=D("2023-05-11"), text=MOSCOW)
    api.IngestDocuments(pb2.IngestDocumentsRequest(documents=[first]), timeout=30)
    other = pb2.Document(id="py:conflict", published=D("2023-05-11"), text="Iran met Iraq in Baghdad.")
    fresh = pb2.Document(id="py:fresh", published=D("2023-05-11"), text="Iran met Iraq in Baghdad.")
    ingest = lambda: api.IngestDocuments(pb2.IngestDocumentsRequest(documents=[fresh, other]), timeout=30)  # noqa: E731
    assert _failure(ingest) == (
        grpc.StatusCode.ALREADY_EXISTS,
        "documents[1].text",
        ("ID_CONFLICT", "detente"),
        ("document", "py:conflict"),
    )


def test_a_full_speed_stream_of_small_documents_completes(detente_bin, stubs, tmp_path):
    """A stock grpcio client streams 20,000 tiny documents as fast as it can to a server whose
    disk is slow (every commit 30 ms late): every document is acknowledged and stored, and the
    server's HTTP/2 layer does not send GOAWAY ENHANCE_YOUR_CALM for the small frames piling up
    (it did with hyper's default windows: 324 of 5,000 acknowledged)."""
    import os

    pb2, pb2_grpc = stubs
    log = tmp_path / "serve.log"
    env = dict(os.environ, DETENTE_FAULT_COMMIT_DELAY_MS="30")
    n = 20_000
    with open(log, "w") as err, _served(detente_bin, tmp_path / "store", env=env, stderr=err) as (_, addr), \
            grpc.insecure_channel(addr) as ch:
        api = pb2_grpc.DetenteServiceStub(ch)
        docs = (
            pb2.IngestStreamRequest(document=pb2.Document(id=f"fast-{i}", published=D("2023-05-11"), text="Turkey met Syria."))
            for i in range(n)
        )
        acks = list(api.IngestStream(docs, timeout=600))
        assert len(acks) == n
        assert [a.sequence for a in acks] == list(range(n))
        assert all(a.status == pb2.DOCUMENT_STATUS_NEW and a.events == 1 for a in acks)
        series = api.GetRelation(pb2.GetRelationRequest(a="TUR", b="SYR"), timeout=60)
        assert sum(p.count for p in series.points) == n, "every acknowledged document stored"
    assert "ENHANCE_YOUR_CALM" not in log.read_text()


def test_documents_listed_by_date_a_page_at_a_time_and_deleted_with_their_events(channel, stubs):
    pb2, pb2_grpc = stubs
    api = pb2_grpc.DetenteServiceStub(channel)
    docs = [pb2.Document(id=f"list:{i}", published=D(f"2023-05-0{5 - i}"), text=MOSCOW) for i in range(5)]
    api.IngestDocuments(pb2.IngestDocumentsRequest(documents=docs), timeout=30)

    pages, token = [], ""
    while True:
        page = api.ListDocuments(pb2.ListDocumentsRequest(id_prefix="list:", page_size=2, page_token=token), timeout=10)
        assert page.total_size == 5
        pages.append([d.id for d in page.documents])
        assert all(d.text == "" and d.event_count > 0 and d.create_time.seconds > 0 for d in page.documents)
        token = page.next_page_token
        if not token:
            break
    assert pages == [["list:4", "list:3"], ["list:2", "list:1"], ["list:0"]], "by publication date, two a page"
    window = api.ListDocuments(
        pb2.ListDocumentsRequest(id_prefix="list:", start=D("2023-05-02"), end=D("2023-05-03"),
                                 view=pb2.DOCUMENT_VIEW_FULL),
        timeout=10,
    )
    assert [d.id for d in window.documents] == ["list:3", "list:2"] and window.documents[0].text == MOSCOW

    stored = api.GetDocument(pb2.GetDocumentRequest(id="list:0"), timeout=10)
    gone = api.DeleteDocument(pb2.DeleteDocumentRequest(id="list:0"), timeout=10)
    assert gone.events_deleted == len(stored.events) == stored.document.event_count > 0
    left = api.ListEvents(pb2.ListEventsRequest(filter=pb2.EventFilter(doc_id="list:0")), timeout=10)
    assert list(left.events) == []
    again = lambda: api.DeleteDocument(pb2.DeleteDocumentRequest(id="list:0"), timeout=10)  # noqa: E731
    assert _failure(again) == (grpc.StatusCode.NOT_FOUND, None, ("DOCUMENT_NOT_FOUND", "detente"),
                               ("document", "list:0"))


def test_events_newest_first_with_only_the_fields_asked_for(channel, stubs):
    pb2, pb2_grpc = stubs
    api = pb2_grpc.DetenteServiceStub(channel)
    events = [pb2.Event(id=f"o:{i}", date=D(f"2023-01-0{i}"), source="CYP", target="GRC", code="040")
              for i in range(1, 6)]
    api.AddEvents(pb2.AddEventsRequest(events=events), timeout=10)
    only = pb2.EventFilter(dyad=["CYP", "GRC"])
    mask = field_mask_pb2.FieldMask(paths=["id", "date"])
    pages, token = [], ""
    while True:
        page = api.ListEvents(pb2.ListEventsRequest(filter=only, order_by="date desc", page_size=2,
                                                    page_token=token, read_mask=mask), timeout=10)
        pages.append([e.id for e in page.events])
        assert all(e.code == "" and not e.HasField("location") and e.HasField("date") for e in page.events)
        token = page.next_page_token
        if not token:
            break
    assert pages == [["o:5", "o:4"], ["o:3", "o:2"], ["o:1"]]
    ascending = api.ListEvents(pb2.ListEventsRequest(filter=only, order_by="date", page_size=2), timeout=10)
    assert [e.id for e in ascending.events] == ["o:1", "o:2"]
    invalid = grpc.StatusCode.INVALID_ARGUMENT
    other_order = lambda: api.ListEvents(  # noqa: E731
        pb2.ListEventsRequest(filter=only, order_by="date desc", page_token=ascending.next_page_token), timeout=10)
    assert _failure(other_order)[:2] == (invalid, "page_token")
    by_size = lambda: api.ListEvents(pb2.ListEventsRequest(order_by="size"), timeout=10)  # noqa: E731
    assert _failure(by_size)[:2] == (invalid, "order_by")
    bad_mask = field_mask_pb2.FieldMask(paths=["colour"])
    masked = lambda: api.GetEvent(pb2.GetEventRequest(id="o:1", read_mask=bad_mask), timeout=10)  # noqa: E731
    assert _failure(masked)[:2] == (invalid, "read_mask.paths[0]")
    one = api.GetEvent(pb2.GetEventRequest(id="o:1", read_mask=field_mask_pb2.FieldMask(paths=["source"])), timeout=10)
    assert (one.event.source, one.event.id) == ("CYP", "")


def test_user_entries_updated_and_deleted_by_an_id_that_survives_a_restart(detente_bin, stubs, tmp_path):
    pb2, pb2_grpc = stubs
    store = tmp_path / "store"
    name = "Zed Republic; Government of"  # a name may hold `;`
    with _served(detente_bin, store) as (_, addr), grpc.insecure_channel(addr) as ch:
        api = pb2_grpc.DetenteServiceStub(ch)
        entry = pb2.ActorEntry(code="ZQRGOV", kind=pb2.ACTOR_KIND_BODY, names=[name, "Zedgov"])
        added = api.AddActors(pb2.AddActorsRequest(entries=[entry]), timeout=10)
        assert added.added == 1
        stored = added.entries[0]
        assert stored.id > 0 and stored.origin == f"store:{stored.id}" and list(stored.names) == [name, "Zedgov"]
        assert api.ResolveActor(pb2.ResolveActorRequest(name=name), timeout=10).code == "ZQRGOV"
        changed = pb2.ActorEntry(id=stored.id, code="ZQRMIL", kind=pb2.ACTOR_KIND_BODY, names=[name])
        updated = api.UpdateActor(pb2.UpdateActorRequest(entry=changed), timeout=10).entry
        assert (updated.id, updated.code) == (stored.id, "ZQRMIL")
        assert api.ResolveActor(pb2.ResolveActorRequest(name=name), timeout=10).code == "ZQRMIL"
        with pytest.raises(grpc.RpcError):
            api.ResolveActor(pb2.ResolveActorRequest(name="Zedgov"), timeout=10)
        no_id = lambda: api.UpdateActor(pb2.UpdateActorRequest(entry=entry), timeout=10)  # noqa: E731
        assert _failure(no_id)[:2] == (grpc.StatusCode.INVALID_ARGUMENT, "entry.id")

    with _served(detente_bin, store) as (_, addr), grpc.insecure_channel(addr) as ch:
        api = pb2_grpc.DetenteServiceStub(ch)
        mine = api.ListActors(pb2.ListActorsRequest(user_only=True), timeout=10)
        assert mine.total_size == 1
        assert [(e.id, e.origin, e.code, list(e.names)) for e in mine.entries] == [
            (stored.id, stored.origin, "ZQRMIL", [name])
        ], "the same id, origin and names after a restart"
        deleted = api.DeleteActor(pb2.DeleteActorRequest(id=stored.id), timeout=10).entry
        assert deleted.code == "ZQRMIL"
        with pytest.raises(grpc.RpcError):
            api.ResolveActor(pb2.ResolveActorRequest(name=name), timeout=10)
        again = lambda: api.DeleteActor(pb2.DeleteActorRequest(id=stored.id), timeout=10)  # noqa: E731
        assert _failure(again)[:3] == (grpc.StatusCode.NOT_FOUND, None, ("ACTOR_ENTRY_NOT_FOUND", "detente"))


def test_a_mediators_events_and_the_network_edges_come_a_page_at_a_time(channel, stubs):
    pb2, pb2_grpc = stubs
    api = pb2_grpc.DetenteServiceStub(channel)
    doc = pb2.Document(id="py:mediation", published=D("2023-05-11"), text=MOSCOW)
    api.IngestDocuments(pb2.IngestDocumentsRequest(documents=[doc]), timeout=30)
    mediators = api.GetMediators(pb2.GetMediatorsRequest(a="TUR", b="SYR", event_ids_per_mediator=1), timeout=10)
    russia = next(m for m in mediators.mediators if m.actor == "RUS")
    assert russia.event_count > 1 and len(russia.event_ids) == 1
    ids, token = [], ""
    while True:
        page = api.ListMediatorEvents(
            pb2.ListMediatorEventsRequest(a="TUR", b="SYR", mediator="Russia", page_size=1, page_token=token),
            timeout=10,
        )
        assert page.total_size == russia.event_count and len(page.events) <= 1
        ids += [e.id for e in page.events]
        token = page.next_page_token
        if not token:
            break
    assert len(ids) == len(set(ids)) == russia.event_count and russia.event_ids[0] in ids

    edges, token, first = [], "", None
    while True:
        page = api.GetNetwork(pb2.GetNetworkRequest(page_size=1, page_token=token), timeout=10)
        first = first or page
        assert len(page.nodes) == (len(first.nodes) if page is first else 0), "nodes on the first page only"
        edges += [(e.a, e.b) for e in page.edges]
        token = page.next_page_token
        if not token:
            break
    assert len(first.nodes) > 1
    assert len(edges) == len(set(edges)) == first.total_size > 1
    assert edges == sorted(edges)


def test_a_streamed_rejection_is_a_google_rpc_status(channel, stubs):
    pb2, pb2_grpc = stubs
    api = pb2_grpc.DetenteServiceStub(channel)
    docs = [
        pb2.IngestStreamRequest(document=pb2.Document(id="st:ok", published=D("2023-05-11"), text=MOSCOW)),
        pb2.IngestStreamRequest(document=pb2.Document(id="st:empty", published=D("2023-05-11"), text="  ")),
    ]
    acks = list(api.IngestStream(iter(docs), timeout=30))
    assert not acks[0].HasField("error") and acks[0].status == pb2.DOCUMENT_STATUS_NEW
    error = acks[1].error
    assert acks[1].status == pb2.DOCUMENT_STATUS_REJECTED and error.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    fields, reasons = [], []
    for detail in error.details:
        bad, info = error_details_pb2.BadRequest(), error_details_pb2.ErrorInfo()
        if detail.Unpack(bad):
            fields.append(bad.field_violations[0].field)
        elif detail.Unpack(info):
            reasons.append(info.reason)
    assert (fields, reasons) == (["document.text"], ["INVALID_FIELD"])


def test_the_contract_names_its_packages_and_field_behaviour(stubs):
    """Other languages generate stubs from the options; the annotations say what is required."""
    from google.api import field_behavior_pb2

    pb2, _ = stubs
    options = pb2.DESCRIPTOR.GetOptions()
    assert options.go_package.endswith(";detentev1") and options.java_package == "org.detente.v1"
    behaviour = lambda message, field: list(  # noqa: E731
        message.DESCRIPTOR.fields_by_name[field].GetOptions().Extensions[field_behavior_pb2.field_behavior]
    )
    assert behaviour(pb2.Event, "date") == [field_behavior_pb2.REQUIRED]
    assert behaviour(pb2.ActorEntry, "origin") == [field_behavior_pb2.OUTPUT_ONLY]
    keywords = {"from", "class", "def", "import", "in", "is", "lambda", "global", "pass"}
    for message in pb2.DESCRIPTOR.message_types_by_name.values():
        assert not {f.name for f in message.fields} & keywords, message.name


def test_one_seed_gives_the_same_negotiation_answers_through_grpc_python_and_the_cli(channel, stubs, detente_bin):
    pb2, pb2_grpc = stubs
    api = pb2_grpc.DetenteServiceStub(channel)
    from detente.negotiation import Scenario

    talks = Scenario.example("moscow-2023")
    scenario = pb2.Scenario(
        issues=[pb2.NegotiationIssue(id=i["id"], label=i["label"], min=i["min"], max=i["max"]) for i in talks.issues],
        stances=[pb2.Stance(**s) for s in talks.stances.to_pylist()],
        salience_scale=pb2.SALIENCE_SCALE_FRACTION,
    )
    # The expected-utility trajectory, streamed round by round, equals the Python run's.
    rounds = list(api.RunEum(pb2.RunEumRequest(scenario=scenario, issue="withdrawal"), timeout=60))
    assert len(rounds) == 11 and rounds[0].info.settings["profile"] == "scholz2011_code"
    python = talks.eum("withdrawal").trajectory.to_pylist()
    streamed = [(m.round.round, a.actor, a.position) for m in rounds for a in m.round.actors]
    assert sorted(streamed) == sorted((r["round"], r["actor"], r["position"]) for r in python)
    # A seeded Monte Carlo of the exchange model: the same draws, to the bit, over gRPC and in
    # Python; the command line prints the same summary (rounded for display).
    answer = api.RunMonteCarlo(pb2.RunMonteCarloRequest(scenario=scenario, model="exchange", draws=150, seed=9),
                               timeout=120)
    local = talks.monte_carlo("exchange", draws=150, seed=9)
    for o in answer.outcomes:
        assert list(o.draws) == local.draws[o.issue]
    assert answer.info.settings["monte_carlo.seed"] == "9" == local.metadata["monte_carlo.seed"]
    cli = subprocess.run(
        [str(detente_bin), "negotiate", "exchange", "example:moscow-2023", "--draws", "150", "--seed", "9",
         "--format", "jsonl"], capture_output=True, text=True, check=True,
    )
    import json

    printed = {r["issue"]: r for r in map(json.loads, cli.stdout.splitlines())}
    for o in answer.outcomes:
        assert abs(printed[o.issue]["mean"] - o.mean) < 1e-4 and abs(printed[o.issue]["q95"] - o.quantiles[-1].value) < 1e-4
