from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "tercero.governance.billing"
    label = "billing"
    verbose_name = "Commercials and billing"
