"""Django password validator for rule P1 (the rule itself is portal.domain.password_assess)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from portal import domain


class CnilPasswordValidator:
    """CNIL 2022-100: 12 characters of four kinds, or 80 bits of entropy; at most 128."""

    def validate(self, password: str, user=None) -> None:
        assessment = domain.password_assess(password)
        if not assessment.accepted:
            raise ValidationError(assessment.reason, code="password_cnil")

    def get_help_text(self) -> str:
        return (
            "Au moins 12 caractères mêlant majuscules, minuscules, chiffres et caractères "
            "spéciaux, ou une phrase de passe plus longue (espaces acceptés, jusqu'à 128 "
            "caractères). Les mots de passe courants sont refusés."
        )
