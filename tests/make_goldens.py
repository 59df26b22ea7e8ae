"""Regenerate the golden notebooks under tests/golden from the one run path.

    .venv/bin/python tests/make_goldens.py [NAME ...]   # e.g. explore; default every golden

Each golden is the notebook executed by ``argo_lib.report.notebook.run_notebook`` with the parameters in
``conftest.GOLDEN_PARAMETERS`` on the golden demo database (``conftest.GOLDEN_DEMO``), with
``keep_output`` set so nbstripout leaves its outputs. Review the diff before committing.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from conftest import (  # noqa: E402
    GOLDEN_BRIEFS,
    GOLDEN_DIR,
    GOLDEN_PARAMETERS,
    prepare_golden_environment,
    publish_golden_briefs,
)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="argo-golden-") as tmp:
        os.environ.update(prepare_golden_environment(Path(tmp)))
        from argo_lib.report import notebook as report

        names = sys.argv[1:] or list(GOLDEN_PARAMETERS)
        weeks = {w for name in names for w in GOLDEN_BRIEFS.get(name, ())}
        if weeks:  # as conftest.pytest_collection_modifyitems does before nbval runs them
            publish_golden_briefs(Path(tmp), tuple(weeks))
        for name in names:
            parameters = GOLDEN_PARAMETERS[name]
            target = GOLDEN_DIR / f"{name}.ipynb"
            report.run_notebook(name, Path(tmp) / f"{name}.ipynb", parameters=parameters)
            nb = nbformat.read(Path(tmp) / f"{name}.ipynb", as_version=4)
            nb.metadata["keep_output"] = True
            nb.metadata.pop("papermill", None)
            for cell in nb.cells:
                cell.metadata.pop("papermill", None)
                cell.metadata.pop("execution", None)
            nbformat.write(nb, target)
            print(f"wrote {target.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
