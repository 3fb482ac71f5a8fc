"""The ``seqlab`` command line (``seqlab run/demo/predict/report``); see :func:`seqlab.cli.main.main`."""
