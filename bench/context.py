"""The values that fill the workloads' URL templates (`{site_slug}`, `{bbox_1000}`, ...), read from
the bench database, for bench/run.py's workloads and bench/load.py's mix."""

from __future__ import annotations

from bench.workloads import UK_BBOX


def url_context(size: int) -> dict[str, str]:
    """Values for the workloads' URL templates, read from the bench database."""
    from django.db.models import Count

    from bench.generate import demo_sites
    from manufacturers.models import Site

    site = Site.objects.filter(id=max(1, size // 2)).values("slug", "region__slug").first() or (
        Site.objects.order_by("id").values("slug", "region__slug").first()
    )
    capability = (
        Site.capabilities.through.objects.values("capability__slug")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("capability__slug", flat=True)
        .first()
    )
    town = (
        Site.objects.values("town")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("town", flat=True)
        .first()
    )
    centre = next((demo for demo in demo_sites() if demo.town == town), None)
    if centre is not None:
        latitude, longitude = centre.latitude, centre.longitude
    else:  # data not made by the generator: the middle site's own position
        latitude, longitude = (
            Site.objects.filter(slug=site["slug"]).values_list("latitude", "longitude").get()
        )

    def bbox(half_lat: float, half_lon: float) -> str:
        return f"{longitude - half_lon:.5f},{latitude - half_lat:.5f},{longitude + half_lon:.5f},{latitude + half_lat:.5f}"

    def sites_in(half: float) -> int:
        return Site.objects.within_bbox(
            south=latitude - half,
            north=latitude + half,
            west=longitude - 1.6 * half,
            east=longitude + 1.6 * half,
        ).count()

    high = _half_side_holding(1000, sites_in)
    return {
        "site_slug": site["slug"],
        "region": site["region__slug"],
        "capability": capability,
        "near": f"{latitude:.4f},{longitude:.4f}",
        "bbox_1000": bbox(high, 1.6 * high),
        "uk_bbox": UK_BBOX,
        "city_bbox": bbox(0.4, 0.7),
        "street_bbox": bbox(0.025, 0.045),
        "town": town,
        **WORDS,
    }


# A word from the vocabulary's synonyms (it finds every site with a capability or technology
# for cell and gene therapy) and a town named as a person would.
WORDS = {"taxonomy_word": "ATMP", "near_place": "Stevenage"}


def _half_side_holding(count: int, sites_in) -> float:
    """The smallest box round the densest town holding at least `count` sites (or all, when fewer)."""
    low, high = 0.0, 6.0
    for _ in range(14):
        middle = (low + high) / 2
        low, high = (middle, high) if sites_in(middle) < count else (low, middle)
    return high


SPREAD = 1000


def url_spread(count: int = SPREAD, seed: int = 1) -> list[dict[str, str]]:
    """`count` sets of values for the cold runs' URL templates: different sites, places, filters and pages.

    Each set names a different site (its slug, its position as `near`, a few streets round it as
    `street_bbox`), a region and a capability drawn at random, a page, a page size and `n`, a
    number that makes a URL of its own for pages with only one address.
    """
    import random

    from manufacturers.models import Capability, Region, Site

    rng = random.Random(seed)
    ids = list(Site.objects.values_list("id", flat=True).order_by("?")[:count])
    sites = Site.objects.filter(id__in=ids).values_list("slug", "latitude", "longitude")
    regions = list(Region.objects.values_list("slug", flat=True))
    capabilities = list(Capability.objects.values_list("slug", flat=True))
    spread = []
    for n, (slug, latitude, longitude) in enumerate(sites):
        spread.append(
            {
                "n": str(n),
                "site_slug": slug,
                "near": f"{latitude:.4f},{longitude:.4f}",
                "street_bbox": f"{longitude - 0.045:.5f},{latitude - 0.025:.5f},"
                f"{longitude + 0.045:.5f},{latitude + 0.025:.5f}",
                "region": rng.choice(regions),
                "capability": rng.choice(capabilities),
                "page": str(rng.randint(1, 20)),
                "page_size": str(rng.randint(10, 200)),
            }
        )
    rng.shuffle(spread)
    return spread
