"""The id arrays on a site's row equal its links, whatever wrote them, and the facets count them right."""

import io
import random

import pytest
from django.db import transaction

from manufacturers import services
from manufacturers.filters import SiteFilter
from manufacturers.importing import rows_from_csv, sites_import_rows
from manufacturers.models import Capability, Licence, LicenceType, Site, Technology
from tests.manufacturers.factories import (
    CapabilityFactory,
    LicenceFactory,
    LicenceTypeFactory,
    SiteFactory,
    TechnologyFactory,
)
from tests.manufacturers.sheets import csv_text, sheet_row

pytestmark = pytest.mark.django_db


def ids(site: Site) -> tuple[list[int], list[int], list[int]]:
    site = Site.objects.get(pk=site.pk)
    return site.capability_ids, site.technology_ids, site.licence_type_ids


def linked(site: Site) -> tuple[list[int], list[int], list[int]]:
    return (
        sorted(site.capabilities.values_list("pk", flat=True)),
        sorted(site.technologies.values_list("pk", flat=True)),
        sorted(set(Licence.objects.filter(site=site).values_list("licence_type_id", flat=True))),
    )


def test_adding_removing_and_changing_links_keeps_the_arrays_equal_to_them():
    one, two = CapabilityFactory(), CapabilityFactory()
    technology = TechnologyFactory()
    site = SiteFactory(capabilities=[two, one], technologies=[technology])
    assert ids(site) == (sorted([one.pk, two.pk]), [technology.pk], [])

    licence = LicenceFactory(site=site)
    site.capabilities.remove(one)
    assert ids(site) == ([two.pk], [technology.pk], [licence.licence_type_id]) == linked(site)

    licence.licence_type = LicenceTypeFactory()
    licence.save()
    site.technologies.clear()
    assert ids(site) == ([two.pk], [], [licence.licence_type_id]) == linked(site)
    licence.delete()
    assert ids(site) == ([two.pk], [], [])


def test_a_stale_instance_saved_after_its_links_changed_cannot_write_old_ids():
    capability = CapabilityFactory()
    site = SiteFactory()
    stale = Site.objects.get(pk=site.pk)  # loaded with no capabilities
    site.capabilities.add(capability)

    stale.town = "Ware"
    services.site_save(site=stale)
    assert ids(site)[0] == [capability.pk]
    assert Site.objects.filter(pk=site.pk).update(capability_ids=[]) == 1
    assert ids(site)[0] == [capability.pk]  # a raw update cannot either


def test_the_import_gives_new_and_updated_sites_their_ids():
    sites_import_rows(rows_from_csv(io.StringIO(csv_text([sheet_row()]))))
    site = Site.objects.get()
    assert ids(site) == linked(site)
    assert (len(site.capability_ids), len(site.licence_type_ids)) == (2, 1)

    sites_import_rows(rows_from_csv(io.StringIO(csv_text([sheet_row(capabilities="sterile_injectables")]))))
    assert ids(site) == linked(site)
    assert len(Site.objects.get().capability_ids) == 1


def test_facet_counts_from_the_arrays_equal_counts_from_the_link_tables(django_assert_num_queries):
    generator = random.Random(7)
    capabilities = CapabilityFactory.create_batch(4)
    technologies = TechnologyFactory.create_batch(3)
    licence_types = LicenceTypeFactory.create_batch(2)
    for number in range(25):
        site = SiteFactory(
            capabilities=generator.sample(capabilities, generator.randint(0, 3)),
            technologies=generator.sample(technologies, generator.randint(0, 2)),
        )
        for licence_type in generator.sample(licence_types, number % 3):
            LicenceFactory(site=site, licence_type=licence_type)

    search = SiteFilter({"capability": capabilities[0].slug}, queryset=Site.objects.all())
    with django_assert_num_queries(7):  # the capability asked for, then one per facet
        counts = search.facet_counts()

    matching = Site.objects.filter(capabilities=capabilities[0])
    for facet, model, links in (
        ("capability", Capability, Site.capabilities.through.objects.all()),
        ("technology", Technology, Site.technologies.through.objects.filter(site__in=matching)),
        ("licence", LicenceType, Licence.objects.filter(site__in=matching)),
    ):
        field = {"capability": "capability", "technology": "technology", "licence": "licence_type"}[facet]
        expected = {
            term.slug: links.filter(**{field: term}).values("site").distinct().count()
            for term in model.objects.all()
        }
        assert counts[facet] == {slug: n for slug, n in expected.items() if n}, facet


def test_a_filter_by_capability_reads_the_array_through_its_index():
    capability = CapabilityFactory()
    site = SiteFactory(capabilities=[capability])
    SiteFactory()
    query = Site.objects.with_any_capability([capability])
    assert list(query) == [site]
    assert "capability_ids" in str(query.query) and "site_capabilities" not in str(query.query)


def test_sites_created_in_one_transaction_with_their_links_have_them():
    capability = CapabilityFactory()
    with transaction.atomic():
        site = SiteFactory(capabilities=[capability])
    assert ids(site)[0] == [capability.pk]
