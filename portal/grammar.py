"""French grammar for generated text: names with their preposition and article ("de la
commune de Brévands", "du syndicat", "de l'établissement", "d'Élodie"). Pure: no Django."""

from __future__ import annotations

# Common nouns that open a collectivité's name, by gender; the name then reads "la commune de
# …" in running text. Other names are proper nouns (a person's, a place's): no article.
FEMININE = {
    "commune",
    "communauté",
    "métropole",
    "mairie",
    "ville",
    "régie",
    "caisse",
    "agglomération",
    "intercommunalité",
}
MASCULINE = {
    "syndicat",
    "centre",
    "conseil",
    "département",
    "établissement",
    "office",
    "pôle",
    "sivom",
    "sivu",
    "ccas",
    "cias",
    "budget",
    "service",
    "établissements",
}
VOWELS = set("aeiouyàâäéèêëîïôöùûüÿœæAEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜŸŒÆ")


def _elides(word: str) -> bool:
    return bool(word) and word[0] in VOWELS


def of_name(name: str) -> str:
    """`name` after "de": "de la commune de X", "du syndicat …", "de l'office …", "d'Élodie"."""
    name = name.strip()
    if not name:
        return name
    first, _, rest = name.partition(" ")
    noun = first.lower()
    tail = f" {rest}" if rest else ""
    if noun in FEMININE or noun in MASCULINE:
        if _elides(noun):
            return f"de l'{noun}{tail}"
        return f"de la {noun}{tail}" if noun in FEMININE else f"du {noun}{tail}"
    return f"d'{name}" if _elides(name) else f"de {name}"


def the_name(name: str) -> str:
    """`name` as the subject of a sentence: "la commune de X", "l'office …", "Élodie"."""
    name = name.strip()
    first, _, rest = name.partition(" ")
    noun = first.lower()
    tail = f" {rest}" if rest else ""
    if noun in FEMININE or noun in MASCULINE:
        if _elides(noun):
            return f"l'{noun}{tail}"
        return f"la {noun}{tail}" if noun in FEMININE else f"le {noun}{tail}"
    return name
