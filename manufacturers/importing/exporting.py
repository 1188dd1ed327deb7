"""Sites in the spreadsheet's columns (the admin's export), so importing an export back changes nothing."""

from ..models import Site
from .columns import EXPORT_COLUMNS, SLUG_SEPARATOR, SOURCE_SEPARATOR, organisation_type_label


def sites_for_export(queryset):
    return queryset.select_related("organisation", "region").prefetch_related(
        "capabilities", "technologies", "licences__licence_type"
    )


def site_export_row(site: Site) -> dict:
    """One site in the import's columns, so that importing the row back changes nothing."""
    licences = sorted(site.licences.all(), key=lambda licence: licence.licence_type.slug)
    bases = {licence.basis for licence in licences}
    return {
        "organisation": site.organisation.name,
        "organisation_type": organisation_type_label(site.organisation.kind),
        "site_name": site.name,
        "town": site.town,
        "postcode_district": site.postcode,
        "region": site.region.name,
        "latitude": site.latitude,
        "longitude": site.longitude,
        "capabilities": SLUG_SEPARATOR.join(sorted(obj.slug for obj in site.capabilities.all())),
        "technologies": SLUG_SEPARATOR.join(sorted(obj.slug for obj in site.technologies.all())),
        "licence_types": SLUG_SEPARATOR.join(licence.licence_type.slug for licence in licences),
        "licence_basis": (
            bases.pop() if len(bases) == 1 else SLUG_SEPARATOR.join(licence.basis for licence in licences)
        ),
        "website": site.organisation.website,
        "source": SOURCE_SEPARATOR.join(site.source_urls),
        "confidence": site.confidence,
        "slug": site.slug,
        "companies_house_number": site.organisation.companies_house_number,
        "status": site.status,
    }


def sites_export_dataset(queryset):
    """A tablib Dataset of the sites in EXPORT_COLUMNS, for CSV or XLSX."""
    import tablib

    dataset = tablib.Dataset(headers=EXPORT_COLUMNS)
    for site in sites_for_export(queryset).order_by("organisation__name", "name", "pk"):
        row = site_export_row(site)
        dataset.append([row[column] for column in EXPORT_COLUMNS])
    return dataset
