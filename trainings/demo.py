"""Demo trainings for `load_demo` (idempotent): a Forfait Métiers group training with a
session three weeks ahead (two agents of Brévands and CC Bocage registered) and the visio
referent training, remote, five weeks ahead."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from catalogue.models import Offer
from portal.models import Collectivite, User
from trainings import services
from trainings.models import Session, Training


def _at(days: int, hour: int) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def demo_trainings_load() -> None:
    if Training.objects.exists():
        return
    staff = User.objects.filter(email="admin@numerique-demo.fr").first()
    metiers, visio = (
        Offer.objects.get(code="forfait-metiers"),
        Offer.objects.get(code="visio-bigbluebutton"),
    )
    tariff = Offer.objects.get(code="formation-jour")
    budget = services.training_save(
        training=Training(
            title="Préparation budgétaire 2027",
            audience="Secrétaires de mairie, agents des finances",
            description="Le budget primitif avec le logiciel de comptabilité : calendrier, "
            "reprise des résultats, saisie et transmission à la préfecture.",
            half_days=1,
            mode=Training.Mode.ON_SITE,
            offer=metiers,
            tariff_offer=tariff,
        ),
        actor=staff,
    )
    referent = services.training_save(
        training=Training(
            title="Référent visioconférence : prise en main",
            audience="Référents visio désignés par les collectivités",
            half_days=1,
            mode=Training.Mode.REMOTE,
            offer=visio,
            is_visio_referent_training=True,
            tariff_offer=tariff,
        ),
        actor=staff,
    )
    session = services.session_save(
        session=Session(
            training=budget, starts_at=_at(21, 9), ends_at=_at(21, 12),
            place="Syndicat, salle de formation, 1 rue de la Mutualisation, Saint-Lô",
            capacity=12, minimum_size=4, trainer=staff,
        ),
        actor=staff,
    )  # fmt: skip
    services.session_save(
        session=Session(
            training=referent, starts_at=_at(35, 14), ends_at=_at(35, 17),
            link="https://visio.numerique-demo.fr/b/formation-referents",
            capacity=8, minimum_size=2, trainer=staff,
        ),
        actor=staff,
    )  # fmt: skip
    for slug, email in (
        ("brevands", "secretaire@brevands.demo"),
        ("cc-bocage", "admin@cc-bocage.demo"),
    ):
        user = User.objects.get(email=email)
        services.registration_create(
            session=session, collectivite=Collectivite.objects.get(slug=slug),
            registered_by=user, today=timezone.localdate(), user=user,
        )  # fmt: skip
