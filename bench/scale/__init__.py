"""The scale-out test: two gunicorn nodes, a PostgreSQL primary and a streaming replica, Redis when there is one.

    python -m bench.scale        # or `make scaletest`

Everything runs on loopback on free ports with its data under var/scaletest/, and is stopped at
the end, even on failure. See docs/deployment.md ("Scale-out test") for what it checks.
"""
