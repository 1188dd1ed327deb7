import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from casestudies.models import CaseStudy, RegulatoryTopic
from tests.manufacturers.factories import OrganisationFactory
from tests.workstreams.factories import workstream


class RegulatoryTopicFactory(DjangoModelFactory):
    class Meta:
        model = RegulatoryTopic
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"test_topic_{n}")
    name = factory.Sequence(lambda n: f"Test topic {n}")


class CaseStudyFactory(DjangoModelFactory):
    class Meta:
        model = CaseStudy
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Case study {n}")
    slug = factory.Sequence(lambda n: f"case-study-{n}")
    summary = "How a manufacturer worked with the regulator."
    body = "## The challenge\n\nA new process.\n\n## The outcome\n\nApproved."
    organisation = factory.SubFactory(OrganisationFactory)
    workstream = factory.LazyFunction(lambda: workstream("regulatory-environment"))
    status = CaseStudy.Status.DRAFT

    class Params:
        published = factory.Trait(
            status=CaseStudy.Status.PUBLISHED,
            first_published_at=factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=30)),
            last_published_at=factory.SelfAttribute("first_published_at"),
        )

    @factory.post_generation
    def sites(self, create, extracted, **kwargs):
        if create and extracted:
            self.sites.set(extracted)

    @factory.post_generation
    def technologies(self, create, extracted, **kwargs):
        if create and extracted:
            self.technologies.set(extracted)

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)


class StaffUserFactory(DjangoModelFactory):
    """A staff member in the Editors or Publishers group (`group="Publishers"`)."""

    class Meta:
        model = "auth.User"
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff-{n}")
    first_name = factory.Sequence(lambda n: f"Staff{n}")
    last_name = "Member"
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    is_staff = True
    password = factory.django.Password("a long test password 1")

    @factory.post_generation
    def group(self, create, extracted, **kwargs):
        if create and extracted:
            from django.contrib.auth.models import Group

            self.groups.add(Group.objects.get(name=extracted))
