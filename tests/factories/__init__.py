"""Test data builders."""

from __future__ import annotations

import itertools

import factory
from stdnum import luhn

from portal.models import Membership, User

_counter = itertools.count(1)


def valid_siret(seed: int | None = None) -> str:
    """A SIRET whose SIREN and SIRET keys are both valid (C1)."""
    seed = next(_counter) if seed is None else seed
    siren8 = f"2{seed:07d}"
    siren = siren8 + luhn.calc_check_digit(siren8)
    nic4 = "0001"
    return siren + nic4 + luhn.calc_check_digit(siren + nic4)


def vat_number_of(siret: str) -> str:
    """The French VAT number of a SIRET's SIREN: FR + (12 + 3 × (SIREN mod 97)) mod 97."""
    siren = siret[:9]
    return f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"personne{n}@exemple.fr")
    full_name = factory.Faker("name", locale="fr_FR")
    password = factory.django.Password("Mot-de-passe-2026!")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Membership._meta.get_field("role").choices[0][0]
