"""Argo energy analytics workbook library.

Data flow, in one direction: ``eniscope`` (the API client) → ``ingest`` (sync, validation,
files) → ``db`` (SQLite or PostgreSQL) → ``analytics`` (one site-week analysis) → ``brief``
(the JSON) and ``render`` (views, charts, e-mail bodies) → ``report`` (notebooks, HTML, e-mail,
published folders). ``jobs`` holds the run paths that tie them together for the command line
(``cli``) and the notebooks; ``sim`` (the simulated site, the fake Eniscope server, the demo) is
imported only by the commands that choose it, by tests and by benchmarks. ``config``, ``dates``,
``fields``, ``thresholds``, ``stats`` and ``errors`` serve them all.
"""

import atexit
import gc
import sys

__version__ = "0.2.0"

# jsonschema (used by nbformat, papermill and the brief's schema) imports its optional IRI
# format checker, rfc3987-syntax, which compiles a Lark grammar at import: 1.2-1.8 s of CPU in
# every process that validates anything, three per brief. Neither the brief schema nor the
# notebook format uses the iri formats, so the checker is not loaded (jsonschema skips a format
# whose checker cannot be imported). Only processes that import argo_lib are affected.
if "jsonschema" not in sys.modules:
    # A None entry makes the import fail (documented for sys.modules); typeshed types the values as
    # modules only.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

# At exit CPython runs one last garbage collection over every object still alive: 0.4-0.5 s of CPU
# for a process that imported pandas, matplotlib and SQLAlchemy, and a brief has two (the command
# and its kernel). Frozen objects are skipped; the operating system frees the memory anyway.
atexit.register(gc.freeze)
