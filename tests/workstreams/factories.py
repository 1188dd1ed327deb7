import factory
from factory.django import DjangoModelFactory

from workstreams.models import Initiative, Workstream


def workstream(slug: str = "skills") -> Workstream:
    """One of MMIP's five workstreams loaded by migration."""
    return Workstream.objects.get(slug=slug)


class WorkstreamFactory(DjangoModelFactory):
    class Meta:
        model = Workstream

    slug = factory.Sequence(lambda n: f"workstream-{n}")
    name = factory.Sequence(lambda n: f"Workstream {n}")
    position = factory.Sequence(lambda n: 100 + n)
    summary = "What this workstream aims at."
    body = "## Aims\n\nMore detail."


class InitiativeFactory(DjangoModelFactory):
    class Meta:
        model = Initiative
        skip_postgeneration_save = True

    workstream = factory.LazyFunction(workstream)
    slug = factory.Sequence(lambda n: f"initiative-{n}")
    title = factory.Sequence(lambda n: f"Initiative {n}")
    summary = "What it does."
    status = Initiative.Status.ACTIVE

    @factory.post_generation
    def partners(self, create, extracted, **kwargs):
        if create and extracted:
            self.partners.set(extracted)
