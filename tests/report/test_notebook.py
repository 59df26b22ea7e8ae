"""Notebooks run headlessly: parameter checks, papermill execution, branded HTML, exit codes."""

from __future__ import annotations

import re

import nbformat
import pytest

from argo_lib.report.notebook import (
    NOTEBOOKS_DIR,
    NotebookRunError,
    ParameterError,
    check_parameters,
    load_parameter_set,
    notebook_parameters,
    render_html,
    run_notebook,
)


def _notebook(path, body: str):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'site: str = "23271"  # site id\nweeks: int = 4  # baseline weeks\nrate: float = 0.12  # price [USD/kWh]\n'
        "overrides: dict = {}  # threshold overrides"
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A small report"),
        params,
        nbformat.v4.new_code_cell(body),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def test_parameters_are_read_from_the_parameters_cell(tmp_path):
    found = notebook_parameters(_notebook(tmp_path / "n.ipynb", "pass"))
    assert found["weeks"] == {"type": "int", "default": 4, "help": "baseline weeks"}
    assert found["overrides"]["default"] == {}


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"sites": "1"}, r"unknown parameter 'sites' \(did you mean 'site'\?\)"),
        ({"weeks": "4"}, "parameter 'weeks' must be int, got str '4'"),
        ({"weeks": True}, "parameter 'weeks' must be int"),
        ({"overrides": [1]}, "parameter 'overrides' must be dict"),
    ],
    ids=["unknown", "str-for-int", "bool-for-int", "list-for-dict"],
)
def test_bad_parameters_are_refused_before_running(tmp_path, parameters, message):
    nb = _notebook(tmp_path / "n.ipynb", "raise SystemExit('must not run')")
    with pytest.raises(ParameterError, match=message) as info:
        run_notebook(nb, tmp_path / "out.ipynb", parameters=parameters)
    assert "Its parameters are: site: str, weeks: int, rate: float, overrides: dict" in str(
        info.value
    )
    assert not list(tmp_path.glob("out*"))


def test_int_for_float_is_accepted(tmp_path):
    nb = _notebook(tmp_path / "n.ipynb", "pass")
    assert check_parameters(nb, {"rate": 1}) == {"rate": 1.0}


def test_run_and_render(tmp_path):
    nb = _notebook(tmp_path / "n.ipynb", "print(f'{site}:{weeks * rate:.2f}')")
    out = run_notebook(nb, tmp_path / "out" / "run.ipynb", parameters={"weeks": 10})
    executed = nbformat.read(out, as_version=4)
    assert executed.cells[-1].outputs[0]["text"] == "23271:1.20\n"
    assert "injected-parameters" in executed.cells[2].metadata["tags"]
    html = render_html(out).read_text()
    assert (
        "23271:1.20" in html
        and "Argo Energy Solutions" in html
        and "<title>A small report</title>" in html
    )
    assert "<script" not in html  # self-contained and safe to e-mail: no scripts
    assert not re.search(r"""(src|href)=["']https?://""", html)  # nothing loaded from the network
    assert "print(f'" not in html  # no code


def test_failed_run_keeps_a_failed_notebook_and_no_output(tmp_path):
    nb = _notebook(tmp_path / "n.ipynb", "raise ValueError('week 2099-W01 is in the future')")
    with pytest.raises(
        NotebookRunError, match="ValueError: week 2099-W01 is in the future"
    ) as info:
        run_notebook(nb, tmp_path / "run.ipynb")
    assert "run.failed.ipynb" in str(info.value)
    assert info.value.exit_code == 2  # re-running would fail the same way
    assert (tmp_path / "run.failed.ipynb").is_file()
    assert not (tmp_path / "run.ipynb").exists() and not (tmp_path / "run.partial.ipynb").exists()


def test_parameter_sets_must_be_mappings(tmp_path):
    (tmp_path / "p.yaml").write_text("- a\n- b\n")
    with pytest.raises(ParameterError, match="mapping"):
        load_parameter_set(tmp_path / "p.yaml")


PARAMETER_SETS = sorted(
    p for p in (NOTEBOOKS_DIR.parent / "params").glob("*/*.yaml") if p.parent.name != "sites"
)


@pytest.mark.parametrize("path", PARAMETER_SETS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_parameter_set_fits_its_notebook(path):
    # params/<notebook>/<set>.yaml: unknown keys or wrong types would only be warned about by papermill.
    notebook = NOTEBOOKS_DIR / f"{path.parent.name}.ipynb"
    assert notebook.is_file(), f"{path}: no notebook {notebook.name}"
    parameters = load_parameter_set(path)
    assert parameters and check_parameters(notebook, parameters) == parameters


def test_parameter_sets_exist_for_every_notebook():
    assert {p.parent.name for p in PARAMETER_SETS} == {
        p.stem for p in NOTEBOOKS_DIR.glob("*.ipynb")
    }


@pytest.mark.parametrize(
    ("raised", "status"),
    [
        ("from argo_lib.db import SchemaError; raise SchemaError('run argo db upgrade')", 2),
        ("from argo_lib.db import DatabaseUnavailable; raise DatabaseUnavailable('down')", 1),
        ("raise ConnectionResetError('peer went away')", 1),
        ("raise TypeError('a bug')", 2),
    ],
    ids=["usage-error", "run-error", "os-error", "bug"],
)
def test_a_failed_kernel_ends_with_the_status_of_its_error(tmp_path, raised, status):
    nb = _notebook(tmp_path / "n.ipynb", raised)
    with pytest.raises(NotebookRunError) as info:
        run_notebook(nb, tmp_path / "run.ipynb")
    assert info.value.exit_code == status


def test_the_kernel_gets_environment_variables_not_parameters(tmp_path, monkeypatch):
    monkeypatch.delenv("ARGO_TEST_SETTING", raising=False)
    nb = _notebook(tmp_path / "n.ipynb", "import os; print(os.environ['ARGO_TEST_SETTING'])")
    out = run_notebook(nb, tmp_path / "run.ipynb", env={"ARGO_TEST_SETTING": "from-env"})
    executed = nbformat.read(out, as_version=4)
    assert executed.cells[-1].outputs[0]["text"] == "from-env\n"
    assert "from-env" not in executed.cells[2].source  # not an injected parameter
    assert "ARGO_TEST_SETTING" not in __import__("os").environ  # restored afterwards
