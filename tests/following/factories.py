import factory
from django.utils import timezone
from factory.django import DjangoModelFactory
from rest_framework_api_key.models import APIKey

from following.models import Alert, AlertFrequency, WebhookEndpoint
from following.webhooks import new_secret


class AlertFactory(DjangoModelFactory):
    class Meta:
        model = Alert

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    query = "region=scotland"
    frequency = AlertFrequency.DAILY
    confirmed_at = factory.LazyFunction(timezone.now)
    covered_until = factory.LazyFunction(timezone.now)


def api_key(name: str = "Partner") -> APIKey:
    key, _secret = APIKey.objects.create_key(name=name)
    return key


class WebhookEndpointFactory(DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    api_key = factory.LazyFunction(api_key)
    url = "http://127.0.0.1:9/hook"
    query = ""
    secret = factory.LazyFunction(new_secret)
