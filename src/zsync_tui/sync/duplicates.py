"""Finding the party a record already has on the other side: normalised names, a score, and
the reasons behind it (PRODUCT.md "Smarter duplicates").

A candidate must share the normalised name (contacts: or the email); email, email domain and
phone then raise the score. The index keeps a few short strings per unlinked customer only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

LEGAL_SUFFIXES = frozenset(
    {
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "llc",
        "corp",
        "corporation",
        "co",
        "company",
        "plc",
        "gmbh",
        "sa",
        "sarl",
        "bv",
        "pty",
        "llp",
    }
)
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com",
        "yahoo.com",
        "hotmail.com",
        "outlook.com",
        "live.com",
        "icloud.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.com",
        "mail.com",
    }
)
MATCH_THRESHOLD = 0.6
_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)
_SPACES = re.compile(r"\s+")


def normalise_name(name: str | None) -> str:
    """Case, accents, spaces, punctuation, "&"/"and" and legal suffixes folded away."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ")
    text = _PUNCTUATION.sub(" ", text)
    words = _SPACES.sub(" ", text).strip().split(" ")
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    return " ".join(word for word in words if word)


def normalise_email(email: str | None) -> str:
    return (email or "").strip().casefold()


def email_domain(email: str | None) -> str:
    """The domain of an email, or "" for none or a free-mail domain (says nothing about a firm)."""
    address = normalise_email(email)
    domain = address.rpartition("@")[2] if "@" in address else ""
    return "" if domain in FREE_MAIL_DOMAINS else domain


def phone_key(phone: str | None) -> str:
    """The last nine digits: enough to match "+44 20 7946 0000" with "020-7946-0000"."""
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    return digits[-9:] if len(digits) >= 6 else ""


@dataclass(frozen=True)
class Party:
    """What duplicate matching looks at on either side."""

    record_id: str
    name: str | None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class DuplicateScore:
    """How alike two parties are, and why."""

    score: float
    reasons: tuple[str, ...]


def score_pair(crm: Party, billing: Party) -> DuplicateScore:
    """Score a CRM record against a Billing customer, with a reason for each point."""
    score = 0.0
    reasons: list[str] = []
    crm_name, billing_name = normalise_name(crm.name), normalise_name(billing.name)
    if crm_name and crm_name == billing_name:
        if (crm.name or "").strip() == (billing.name or "").strip():
            reasons.append("identical name")
        else:
            reasons.append(f"same name once normalised ({crm_name!r})")
        score += 0.6
    crm_email, billing_email = normalise_email(crm.email), normalise_email(billing.email)
    if crm_email and crm_email == billing_email:
        score += 0.3
        reasons.append("same email")
    elif email_domain(crm.email) and email_domain(crm.email) == email_domain(billing.email):
        score += 0.1
        reasons.append(f"same email domain ({email_domain(crm.email)})")
    if phone_key(crm.phone) and phone_key(crm.phone) == phone_key(billing.phone):
        score += 0.2
        reasons.append("same phone")
    return DuplicateScore(round(min(score, 1.0), 2), tuple(reasons))


@dataclass
class DuplicateIndex:
    """The unlinked Billing customers, looked up by normalised name and by email."""

    by_name: dict[str, list[Party]] = field(default_factory=dict)
    by_email: dict[str, list[Party]] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)

    def add(self, party: Party) -> None:
        name = normalise_name(party.name)
        if name:
            self.by_name.setdefault(name, []).append(party)
        email = normalise_email(party.email)
        if email:
            self.by_email.setdefault(email, []).append(party)

    def best_match(self, crm: Party, by_email: bool = False) -> tuple[Party, DuplicateScore] | None:
        """The highest-scoring free candidate at or above the threshold, if any.

        Ties go to the lowest customer id, so every run picks the same one.
        """
        candidates = list(self.by_name.get(normalise_name(crm.name), ()))
        if by_email:
            candidates += self.by_email.get(normalise_email(crm.email), [])
        best: tuple[Party, DuplicateScore] | None = None
        for party in candidates:
            if party.record_id in self.taken:
                continue
            scored = score_pair(crm, party)
            if scored.score < MATCH_THRESHOLD and not (by_email and "same email" in scored.reasons):
                continue
            if best is None or (scored.score, _id_order(best[0])) > (
                best[1].score,
                _id_order(party),
            ):
                best = (party, scored)
        return best

    def take(self, record_id: str) -> None:
        """Mark a customer as matched, so no other record claims it."""
        self.taken.add(record_id)

    def __len__(self) -> int:
        return sum(len(parties) for parties in self.by_name.values())


def _id_order(party: Party) -> tuple[int, str]:
    return (len(party.record_id), party.record_id)
