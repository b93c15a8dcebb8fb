"""Password rules beyond Django's: no words an attacker guesses first for this site."""

from django.core.exceptions import ValidationError

CONTEXT_WORDS = ("tercero", "password", "passwort", "contraseña", "welcome", "letmein")


class ContextWordsValidator:
    """Refuse passwords built on the product's name, generic words, or the person's
    own e-mail address (ASVS 6.2.11). Breached and common passwords are refused by
    Django's CommonPasswordValidator, whose offline list of 20,000 passwords comes
    from breach corpora."""

    def validate(self, password: str, user=None) -> None:
        lowered = password.casefold()
        words = list(CONTEXT_WORDS)
        email = getattr(user, "email", "") or ""
        words += [part for part in email.casefold().replace("@", ".").split(".") if len(part) >= 4]
        found = [word for word in words if word in lowered]
        if found:
            raise ValidationError(
                f"Choose a password that does not contain “{found[0]}”.",
                code="password_context_word",
            )

    def get_help_text(self) -> str:
        return "Your password cannot contain your e-mail address or the product's name."
