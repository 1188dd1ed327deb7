import factory
from factory.django import DjangoModelFactory

from manufacturers.models import (
    Capability,
    Licence,
    LicenceType,
    Organisation,
    Region,
    Site,
    Technology,
)


class RegionFactory(DjangoModelFactory):
    """A region; tests usually use the 12 real ones the data migration loads (see `region()`)."""

    class Meta:
        model = Region
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"Z{n:02d}")
    slug = factory.Sequence(lambda n: f"test-region-{n}")
    name = factory.Sequence(lambda n: f"Test region {n}")
    centroid_latitude = 52.0
    centroid_longitude = -1.5
    min_latitude = 51.0
    min_longitude = -2.5
    max_latitude = 53.0
    max_longitude = -0.5
    boundary = factory.LazyAttribute(
        lambda region: {
            "type": "MultiPolygon",
            "coordinates": [
                [
                    [
                        [region.min_longitude, region.min_latitude],
                        [region.max_longitude, region.min_latitude],
                        [region.max_longitude, region.max_latitude],
                        [region.min_longitude, region.max_latitude],
                        [region.min_longitude, region.min_latitude],
                    ]
                ]
            ],
        }
    )


def region(slug: str = "east-of-england") -> Region:
    """One of the real ITL1 regions loaded by migration."""
    return Region.objects.get(slug=slug)


class CapabilityFactory(DjangoModelFactory):
    class Meta:
        model = Capability
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"test_capability_{n}")
    name = factory.Sequence(lambda n: f"Test capability {n}")


class TechnologyFactory(DjangoModelFactory):
    class Meta:
        model = Technology
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"test_technology_{n}")
    name = factory.Sequence(lambda n: f"Test technology {n}")


class LicenceTypeFactory(DjangoModelFactory):
    class Meta:
        model = LicenceType
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"test_licence_{n}")
    name = factory.Sequence(lambda n: f"Test licence {n}")


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n} Pharma")
    slug = factory.Sequence(lambda n: f"organisation-{n}")
    kind = Organisation.Kind.CDMO
    website = factory.LazyAttribute(lambda o: f"https://{o.slug}.example.com")
    description = "Makes medicines."


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = Site
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    slug = factory.Sequence(lambda n: f"site-{n}")
    town = "Stevenage"
    postcode = "SG1"
    region = factory.LazyFunction(region)
    latitude = 51.9017
    longitude = -0.2019
    status = Site.Status.OPERATIONAL
    confidence = Site.Confidence.HIGH
    source_urls = factory.LazyFunction(lambda: ["https://www.example.com/source"])

    @factory.post_generation
    def capabilities(self, create, extracted, **kwargs):
        if create and extracted:
            self.capabilities.set(extracted)

    @factory.post_generation
    def technologies(self, create, extracted, **kwargs):
        if create and extracted:
            self.technologies.set(extracted)


class LicenceFactory(DjangoModelFactory):
    class Meta:
        model = Licence

    site = factory.SubFactory(SiteFactory)
    licence_type = factory.SubFactory(LicenceTypeFactory)
    basis = Licence.Basis.INFERRED
