"""Many notebook runs at once on one machine: no port race, no shared file, no shared environment."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from jupyter_client.provisioning.local_provisioner import LocalPortCache

from argo_lib.report import notebook
from argo_lib.report.notebook import kernel_environment, run_notebook

RUNS, AT_ONCE = 8, 4
"""The concurrent set: 8 runs of a tiny notebook, 4 at a time."""

ISOLATED = ("JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR")


def _tiny_notebook(path: Path) -> Path:
    """A notebook that reports what its kernel sees: its run's variable and private folders."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            'label: str = ""  # which run this is', metadata={"tags": ["parameters"]}
        ),
        nbformat.v4.new_code_cell(
            "import json, os\n"
            "names = ('ARGO_TEST_RUN', 'ARGO_TEST_SHARED', "
            + ", ".join(repr(n) for n in ISOLATED)
            + ")\n"
            "print(json.dumps({'run': label, **{n: os.environ.get(n) for n in names}}))"
        ),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def _seen(executed: Path) -> dict:
    nb = nbformat.read(executed, as_version=4)
    return json.loads(nb.cells[-1].outputs[0]["text"])


def test_concurrent_runs_do_not_collide_and_each_kernel_sees_only_its_own(tmp_path):
    source = _tiny_notebook(tmp_path / "tiny.ipynb")
    environ_before = dict(os.environ)

    def one(i: int) -> dict:
        with kernel_environment({"ARGO_TEST_SHARED": f"context-{i}"}):
            out = run_notebook(
                source,
                tmp_path / "out" / f"run{i}.ipynb",
                parameters={"label": str(i)},
                env={"ARGO_TEST_RUN": str(i)},
            )
        return _seen(out)

    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        futures = [pool.submit(one, i) for i in range(RUNS)]
        seen, failures = [], []
        for future in futures:
            try:
                seen.append(future.result())
            except Exception as exc:  # counted, not raised: the assertion says how many
                failures.append(repr(exc))

    assert failures == []
    assert [s["run"] for s in seen] == [str(i) for i in range(RUNS)]
    # each kernel got its own variables, never another thread's
    assert [s["ARGO_TEST_RUN"] for s in seen] == [str(i) for i in range(RUNS)]
    assert [s["ARGO_TEST_SHARED"] for s in seen] == [f"context-{i}" for i in range(RUNS)]
    for name in ISOLATED:  # its own folders, removed after the run
        folders = [s[name] for s in seen]
        assert len(set(folders)) == RUNS, name
        assert not any(Path(f).exists() for f in folders), name
    # this process's environment is never changed, not even for a while
    assert dict(os.environ) == environ_before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"run{i}.ipynb" for i in range(RUNS)
    )


def test_kernel_environment_nests_and_the_run_env_wins(tmp_path):
    source = _tiny_notebook(tmp_path / "tiny.ipynb")
    with kernel_environment({"ARGO_TEST_RUN": "outer", "ARGO_TEST_SHARED": "outer"}):
        with kernel_environment({"ARGO_TEST_SHARED": "inner"}):
            inner = _seen(run_notebook(source, tmp_path / "a.ipynb"))
            given = _seen(run_notebook(source, tmp_path / "b.ipynb", env={"ARGO_TEST_RUN": "env"}))
    outside = _seen(run_notebook(source, tmp_path / "c.ipynb"))
    assert (inner["ARGO_TEST_RUN"], inner["ARGO_TEST_SHARED"]) == ("outer", "inner")
    assert (given["ARGO_TEST_RUN"], given["ARGO_TEST_SHARED"]) == ("env", "inner")
    assert (outside["ARGO_TEST_RUN"], outside["ARGO_TEST_SHARED"]) == (None, None)


@pytest.fixture
def taken_port(monkeypatch):
    """A loopback port held by this process, handed to the next kernel as its shell port.

    That is the port race as it happens: another process binds a port between the moment the
    kernel manager picks it and the moment the kernel binds it, and the kernel dies.
    """
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    port = held.getsockname()[1]
    real = LocalPortCache.find_available_port
    handed: list[int] = []
    lock = threading.Lock()

    def find_available_port(self, ip):
        with lock:
            if not handed:
                handed.append(port)
                return port
        return real(self, ip)

    monkeypatch.setattr(LocalPortCache, "find_available_port", find_available_port)
    try:
        yield port, handed
    finally:
        held.close()


def test_a_kernel_that_loses_a_port_race_is_started_again(tmp_path, taken_port, caplog):
    port, handed = taken_port
    source = _tiny_notebook(tmp_path / "tiny.ipynb")
    with caplog.at_level(logging.WARNING, logger=notebook.__name__):
        out = run_notebook(source, tmp_path / "raced.ipynb", parameters={"label": "raced"})
    assert handed == [port]  # the first start really got the taken port
    assert _seen(out)["run"] == "raced"
    retries = [
        r.getMessage() for r in caplog.records if "died before it was ready" in r.getMessage()
    ]
    assert len(retries) == 1
    assert "attempt 1 of 3" in retries[0] and "tiny.ipynb" in retries[0]
    assert not (tmp_path / "raced.partial.ipynb").exists()


def test_a_failing_cell_is_not_retried(tmp_path, caplog):
    source = _tiny_notebook(tmp_path / "bad.ipynb")
    nb = nbformat.read(source, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise ValueError('bad input')"))
    nbformat.write(nb, source)
    with caplog.at_level(logging.WARNING, logger=notebook.__name__):
        with pytest.raises(notebook.NotebookRunError, match="ValueError: bad input"):
            run_notebook(tmp_path / "bad.ipynb", tmp_path / "bad_out.ipynb")
    assert not [r for r in caplog.records if "died before it was ready" in r.getMessage()]
    assert (tmp_path / "bad_out.failed.ipynb").is_file()
