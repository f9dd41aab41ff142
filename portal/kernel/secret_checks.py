"""Which of the production secrets are too weak to start with (docs/SECURITY.md, "Secrets").

Plain functions of the values, without Django, so that settings can call them before anything
is configured."""

# HMAC-SHA256 takes a key of any length; one shorter than its 32-byte output gives a forger
# less work than the hash. `bin/make-env` writes 43 characters.
EVENTS_SIGNING_SECRET_MIN_LENGTH = 32


def weak_secrets(values, *, development_defaults):
    """`[(name, why), ...]` for every secret that is published or too short.

    `values` maps each secret's name to what the environment set; `development_defaults` to the
    fixed values DEBUG runs with, which are in the repository for anyone to read.

    PERSONAL_DATA_HASH_KEY has no minimum length: every stored hash depends on it and it cannot
    be rotated in place, so a deployment that chose a short one must still start."""
    weak = []
    for name, value in values.items():
        published = development_defaults[name]
        if name == "PERSONAL_DATA_KEYS":
            keys = {key.strip() for key in value.split(",")}
            if keys & {key.strip() for key in published.split(",")}:
                weak.append((name, "contains the development key"))
        elif value == published:
            weak.append((name, "is the development default"))
        elif name == "EVENTS_SIGNING_SECRET" and len(value) < EVENTS_SIGNING_SECRET_MIN_LENGTH:
            weak.append((name, f"is shorter than {EVENTS_SIGNING_SECRET_MIN_LENGTH} characters"))
    return weak
