"""Argo energy analytics workbook library.

Modules are nouns (``config``, ``dates``, ``stats``, ``db``, ``sim``, ``eniscope``,
``ingest``, ``analytics``, ``brief``, ``plots``, ``report``); notebooks only call them.
"""

__version__ = "0.1.0"
