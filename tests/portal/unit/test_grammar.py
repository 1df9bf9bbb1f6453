"""French grammar for names in generated text (issue 10, item 6)."""

import pytest

from portal.grammar import of_name, the_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("Commune de Brévands", "de la commune de Brévands", id="commune_case"),
        pytest.param(
            "Communauté de communes du Bocage",
            "de la communauté de communes du Bocage",
            id="communaute_case",
        ),
        pytest.param(
            "Syndicat des eaux du Marais", "du syndicat des eaux du Marais", id="syndicat_case"
        ),
        pytest.param(
            "Établissement public X", "de l'établissement public X", id="elision_noun_case"
        ),
        pytest.param("Office de tourisme", "de l'office de tourisme", id="office_case"),
        pytest.param("Élodie Martin", "d'Élodie Martin", id="elision_person_case"),
        pytest.param("Anne Martin", "d'Anne Martin", id="vowel_person_case"),
        pytest.param("Marc Leroux", "de Marc Leroux", id="consonant_person_case"),
        pytest.param("Saint-Lô", "de Saint-Lô", id="place_case"),
        pytest.param("", "", id="empty_case"),
    ],
)
def test_of_name(name, expected):
    assert of_name(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("Commune de Test", "la commune de Test", id="feminine_case"),
        pytest.param("Syndicat mixte", "le syndicat mixte", id="masculine_case"),
        pytest.param("Établissement public", "l'établissement public", id="elision_case"),
        pytest.param("Élodie", "Élodie", id="person_case"),
    ],
)
def test_the_name(name, expected):
    assert the_name(name) == expected
