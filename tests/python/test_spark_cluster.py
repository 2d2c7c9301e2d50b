"""detente on a real standalone Spark cluster: a master and two worker processes started here,
one core each. The three operations run on it, and a Python worker killed mid-task is retried by
Spark without leaving duplicates. Java is required: without it these tests fail."""

import os
import pathlib
import socket
import subprocess
import sys
import time

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import detente
from engines import SENTENCES, collect_quietly, gdelt_files, native, require_java, session  # noqa: F401

pyspark = pytest.importorskip("pyspark", reason="pyspark is installed by scripts/test.sh")
from detente import spark as ds  # noqa: E402

# pyspark leaves the local sockets it collects results through to the garbage collector.
pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A standalone master and two workers (one core each), as processes of their own, and a
    session on it whose two executors have registered."""
    require_java()
    logs = tmp_path_factory.mktemp("spark-cluster")
    home = pathlib.Path(pyspark.__file__).parent
    env = dict(os.environ, SPARK_HOME=str(home), PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1",
               SPARK_WORKER_DIR=str(logs / "work"), SPARK_LOG_DIR=str(logs))
    port = free_port()
    url = f"spark://127.0.0.1:{port}"
    cls = str(home / "bin" / "spark-class")

    outputs = []

    def start(name, *args):
        outputs.append(open(logs / f"{name}.log", "w"))
        return subprocess.Popen([cls, *args, "--webui-port", str(free_port())], env=env, stdout=outputs[-1],
                                stderr=subprocess.STDOUT)

    procs = [start("master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port))]
    s = None
    try:
        deadline = time.time() + 90
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.time() < deadline, (logs / "master.log").read_text()
                time.sleep(0.5)
        for i in range(2):
            procs.append(start(f"worker{i}", "org.apache.spark.deploy.worker.Worker", url, "--cores", "1",
                               "--memory", "1g"))
        s = session(url, **{"spark.cores.max": "2", "spark.executor.cores": "1", "spark.executor.memory": "768m"})
        assert s.sparkContext.master == url
        status = s.sparkContext._jsc.sc().getExecutorMemoryStatus
        while status().size() < 3:  # the driver and two executors
            assert time.time() < deadline, "the two executors did not register"
            time.sleep(0.5)
        yield s
    finally:
        if s is not None:
            s.stop()
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        for f in outputs:
            f.close()
        collect_quietly()


def test_a_standalone_cluster_of_two_workers_runs_the_three_operations(cluster, gdelt_files):
    events = ds.import_gdelt(cluster, sorted(str(p) for p in gdelt_files.iterdir()))
    m = native(gdelt_files)
    assert sorted(events.toArrow().column("id").to_pylist()) == sorted(m.events(limit=100).column("id").to_pylist())
    sums = ds.aggregate(events).toArrow()
    mine = detente.Aggregates.from_events(m.events(limit=100)).to_arrow()
    assert sorted(sums.select(ds.AGGREGATE_KEYS + ds.AGGREGATE_SUMS).to_pylist(), key=str) == \
        sorted(mine.cast(sums.schema).to_pylist(), key=str)
    docs = cluster.createDataFrame(SENTENCES, "id STRING, published STRING, text STRING").repartition(2)
    coded = ds.code_documents(docs).toArrow()
    local = detente.code_batch(pa.table({"id": [d[0] for d in SENTENCES], "published": [d[1] for d in SENTENCES],
                                         "text": [d[2] for d in SENTENCES]}))
    assert coded.num_rows > 0
    assert sorted(coded.column("id").to_pylist()) == sorted(local.column("id").to_pylist())


def test_a_worker_killed_mid_job_is_retried_and_the_store_takes_each_event_once(cluster, tmp_path):
    marker = tmp_path / "killed"
    df = cluster.createDataFrame(SENTENCES, "id STRING, published STRING, text STRING").repartition(2)

    def die_once(batches):
        for b in batches:
            if not marker.exists():
                marker.write_text("once")
                os._exit(1)  # the Python worker dies mid-task
            yield b

    events = ds.code_documents(df.mapInArrow(die_once, df.schema)).toArrow()
    assert marker.exists(), "no worker was killed"
    m = detente.Model()
    first = m.add_events(events)
    assert first["added"] == events.num_rows > 0
    assert pc.count_distinct(events.column("id")).as_py() == events.num_rows
    # The job run again (as a retried stage would): each event is stored once.
    second = m.add_events(ds.code_documents(df).toArrow())
    assert (second["added"], second["unchanged"]) == (0, events.num_rows)
