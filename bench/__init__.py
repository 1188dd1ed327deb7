"""The scale benchmark: synthetic sites at 10k to 1M (``make bench-data``) and ``make bench``.

See docs/performance.md for how to run it and what each figure means.
"""
