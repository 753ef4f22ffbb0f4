"""The Dask engine on a real LocalCluster with worker processes gives the local engine's outputs."""
from __future__ import annotations

import pytest

from pipeline import batch
from test_batch import make_corpus, tree

distributed = pytest.importorskip("distributed", reason="the dask engine needs the optional extra gongwen[dask]")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as c:
        yield c


def test_dask_engine_equals_local(tmp_path, cluster):
    src = make_corpus(tmp_path / "src")
    local, remote = tmp_path / "local", tmp_path / "dask"
    batch.run([src], local, workers=1)
    s = batch.run([src], remote, engine="dask", scheduler=cluster.scheduler_address)
    assert (s.processed, s.failed) == (9, 1)
    assert tree(remote) == tree(local)  # outputs and errors.jsonl alike
    again = batch.run([src], remote, engine="dask", scheduler=cluster.scheduler_address)
    assert again.skipped == 9  # incremental on the cluster too


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    from pipeline.engines import EngineError
    src = make_corpus(tmp_path / "src", pieces=1)
    import dask
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        with pytest.raises(EngineError, match="cannot connect"):
            batch.run([src], tmp_path / "o", engine="dask", scheduler="tcp://127.0.0.1:9")
