import factory

from tercero.platform.tenancy.models import Client, Provider


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ("name",)

    name = "Tercero Demo BPO"
    country = "PH"


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    provider = factory.SubFactory(ProviderFactory)
    legal_name = factory.Sequence(lambda n: f"Client {n} Ltd")
    country = "US"
    time_zone = "America/New_York"
    industry_vertical = Client.Vertical.RETAIL
    status = Client.Status.ACTIVE
