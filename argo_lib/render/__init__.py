"""The presentation layer: how analyses and briefs look to the people who read them.

- :mod:`~argo_lib.render.theme`: colours, the status vocabulary, the chart style.
- :mod:`~argo_lib.render.format`: numbers, money, times and counts as written for readers.
- :mod:`~argo_lib.render.views`: the brief's sections as HTML for the notebook and its report.
- :mod:`~argo_lib.render.plots`: every chart.
- :mod:`~argo_lib.render.email`: the brief's e-mail subject and bodies.

Views and the e-mail read only the brief JSON; charts read only the analysis. Nothing here
computes a finding, reads the database or sends anything.
"""
