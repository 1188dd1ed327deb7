"""The portal's settings for the benchmark's server: the same in every respect but the URLconf,
which adds the anchor view (/bench/minimal.json). The product never imports the bench."""

from mmip_portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# The bench's own commands (generate_bench_data).
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405

# The minimal view is the ceiling of an uncached Django endpoint: never from the page cache.
PAGE_CACHE_SKIP_PREFIXES = (*PAGE_CACHE_SKIP_PREFIXES, "/bench/")  # noqa: F405
