"""Slugs: the one rule for turning a name into the part of a URL that names a record."""

from django.utils.text import slugify

DEFAULT_MAX_LENGTH = 80


def slug_base(text: str, *, max_length: int = DEFAULT_MAX_LENGTH, fallback: str = "item") -> str:
    """`text` slugified and cut at a word boundary, so a long name never ends mid-word.

    "Stevenage Bioscience Catalyst Cell and Gene Therapy Centre" becomes
    "stevenage-bioscience-catalyst-..." up to the last whole word that fits, never "…-bioscie".
    """
    full = slugify(text)
    base = full[:max_length].rstrip("-")
    if len(full) > max_length and "-" in base and full[len(base) : len(base) + 1] != "-":
        base = base.rsplit("-", 1)[0]
    return base or fallback


def unique_slug(model, text: str, *, max_length: int = DEFAULT_MAX_LENGTH, instance=None) -> str:
    """A slug for `text` that no other row of `model` has: the base, then base-2, base-3, ..."""
    base = slug_base(text, max_length=max_length)
    others = model.objects.exclude(pk=instance.pk) if instance is not None and instance.pk else model.objects
    candidate, number = base, 2
    while others.filter(slug=candidate).exists():
        candidate = f"{base}-{number}"
        number += 1
    return candidate
