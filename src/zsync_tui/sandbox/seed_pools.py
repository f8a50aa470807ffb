"""Fake-data pools for the seed: Faker values per locale, combined at random (fast for 100k
records), and the name helpers the planted duplicates use."""

from __future__ import annotations

import re

from faker import Faker

LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "ja_JP", "pl_PL", "sv_SE")
LONG_NAME_TAIL = (
    " International Holdings and Consolidated Trading Partners of the Northern Hemisphere"
)
POOL_MAX = 400
DAY = 86400.0


_FAKERS: dict[str, Faker] = {}


def faker_for(locale: str) -> Faker:
    """One Faker per locale per process (building one is slow); callers reseed it."""
    fake = _FAKERS.get(locale)
    if fake is None:
        fake = _FAKERS[locale] = Faker(locale)
    return fake


class Pools:
    """Small per-locale pools of Faker values, combined at random: fast for 100k records."""

    def __init__(self, seed: int, size: int) -> None:
        self.names: list[tuple[str, str]] = []
        self.companies: list[str] = []
        self.addresses: list[tuple[str, str, str, str, str]] = []
        self.phones: list[str] = []
        self.jobs: list[str] = []
        per_locale = max(4, min(POOL_MAX, size) // len(LOCALES) + 1)
        for index, locale in enumerate(LOCALES):
            fake = faker_for(locale)
            fake.seed_instance(seed * 100 + index)
            country = fake.current_country() if locale != "en_GB" else "United Kingdom"
            for _ in range(per_locale):
                self.names.append((fake.first_name(), fake.last_name()))
                self.companies.append(fake.company())
                state = fake.state() if hasattr(fake, "state") else fake.city()
                self.addresses.append(
                    (fake.street_address(), fake.city(), state, fake.postcode(), country)
                )
                self.phones.append(fake.phone_number())
                self.jobs.append(fake.job()[:100])


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """A short lowercase ASCII token of `text`, for fake email addresses and domains."""
    kept = _NOT_SLUG.sub("", text.lower())
    return kept[:20] or "company"


def normal_name(name: str) -> str:
    """A loose form for spotting accidental matches: case, spaces, '&', legal suffixes."""
    words = name.lower().replace("&", " and ").replace(".", " ").replace(",", " ").split()
    suffixes = {"ltd", "limited", "inc", "incorporated", "llc", "l", "c", "co", "gmbh"}
    return " ".join(w for w in words if w not in suffixes)


def near_duplicate(name: str, variant: int) -> str:
    """A name a human would call the same company: case, suffix, spaces, '&'/'and'."""
    if variant == 0:
        return name
    if variant == 1:
        upper = name.upper()
        for short, long in ((" LTD", " LIMITED"), (" INC", " INCORPORATED"), (" LLC", " L.L.C.")):
            if upper.endswith(short):
                return upper[: -len(short)] + long
        return upper + " LIMITED"
    if variant == 2:
        return name.replace(" ", "  ", 1) if " " in name else name + "  "
    if "&" in name:
        return name.replace("&", "and")
    if " and " in name:
        return name.replace(" and ", " & ")
    return name + " & Co"
