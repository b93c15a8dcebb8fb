from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


class IdentityConfig(AppConfig):
    name = "tercero.platform.identity"
    label = "identity"

    def ready(self) -> None:
        # `services.record_sign_in` stamps the last sign-in in the scope that may change
        # a staff member's row; Django's own receiver would write in the caller's scope.
        user_logged_in.disconnect(dispatch_uid="update_last_login")
