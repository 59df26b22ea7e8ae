"""Reports as files and messages: notebooks run headlessly, HTML, e-mail, published folders.

- :mod:`~argo_lib.report.notebook`: checked parameters, papermill runs, nbconvert HTML.
- :mod:`~argo_lib.report.email`: the brief's MIME message, the ``.eml`` file, SMTP.
- :mod:`~argo_lib.report.outputs`: an output folder written whole, then published atomically.

This is the only package that uses papermill, nbconvert and SMTP.
"""
