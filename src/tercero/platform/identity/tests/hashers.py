from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with tiny costs, so fixtures that create many users stay fast.
    Still argon2: the encoded hashes start with `argon2$argon2id$`."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1
