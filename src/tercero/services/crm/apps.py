from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "tercero.services.crm"
    label = "crm"
    verbose_name = "Customer relationships: accounts, contacts, opportunities"
