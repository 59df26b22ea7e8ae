"""``python -m argo_lib ...`` runs the ``argo`` command line."""

import sys

from argo_lib.cli import main

sys.exit(main())
