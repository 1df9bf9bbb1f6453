"""Nothing typed is lost, every error is seen (issue 10, item 5); the documents page (item
7); quote states in the signatory's words and the draft quote's prices (item 6)."""

from __future__ import annotations

from contracts.models import Quote, ServiceRequest
from contracts.services import DOMAIN_NAME_REQUIRED, QUOTE_TITLE_FROZEN, QUOTE_TITLE_REQUIRED
from tests.conftest import page_text
from tests.contracts.integration.test_pages import accept, sent_quote, submit_request

NB = "\u00a0"


def test_the_needs_typed_next_to_the_button_reach_the_syndicate(
    catalogue, tenant, agent_site, admin_site
):
    agent_site.post("/demandes/brouillon/ajouter/mail/", {"quantity": "5"})
    draft_page = page_text(agent_site.get("/demandes/brouillon/"))
    # One form: the needs' fields and "Transmettre au syndicat" are in it.
    form = draft_page.split('id="demande-formulaire"')[1].split("</form>")[0]
    assert 'name="notes"' in form
    assert 'formaction="/demandes/brouillon/transmettre/"' in form

    response = agent_site.post(
        "/demandes/brouillon/transmettre/",
        {
            "domain_choice": "syndicate",
            "domain_name": "",
            "users_count": "7",
            "notes": "Deux boîtes pour les élus.",
        },
    )
    assert response.status_code == 302
    submitted = ServiceRequest.objects.get(collectivite=tenant, status="submitted")
    assert (submitted.users_count, submitted.notes) == (7, "Deux boîtes pour les élus.")
    seen = page_text(admin_site.get(f"/demandes/{submitted.pk}/"))
    assert "Deux boîtes pour les élus." in seen
    assert "non précisé" not in seen.split("Deux boîtes")[0].split("Nombre d'utilisateurs")[-1]


def test_a_refused_submission_keeps_every_field_and_lists_its_errors_at_the_top(
    catalogue, tenant, agent_site
):
    agent_site.post("/demandes/brouillon/ajouter/mail/", {"quantity": "5"})
    response = agent_site.post(
        "/demandes/brouillon/transmettre/",
        {"domain_choice": "reserve", "domain_name": "", "users_count": "3", "notes": "À garder"},
    )
    assert response.status_code == 200
    page = page_text(response)
    summary = page.split("data-error-summary")[1].split("</div>")[0]
    assert "Le formulaire n'a pas été enregistré : 1 erreur à corriger." in summary
    assert (
        f'<a href="#id_domain_name">Nom de domaine souhaité ou existant : {DOMAIN_NAME_REQUIRED}</a>'
        in summary
    )
    assert "À garder</textarea>" in page
    assert 'value="3"' in page
    assert (
        'value="reserve" checked' in page
        or 'checked value="reserve"' in page
        or ('id="id_domain_choice_1" checked' in page)
    )
    assert not ServiceRequest.objects.filter(collectivite=tenant, status="submitted").exists()


def test_quote_states_read_in_the_signatorys_words(
    catalogue, agent_site, signatory_site, admin_site
):
    quote = sent_quote(agent_site, admin_site)
    assert "<td>à signer</td>" in page_text(signatory_site.get("/demandes/"))
    accept(signatory_site, quote)
    assert "<td>signé, en attente d'approbation par le syndicat</td>" in page_text(
        signatory_site.get("/demandes/")
    )
    detail = page_text(signatory_site.get(f"/devis/{quote.pk}/"))
    assert '<details class="fingerprint"><summary>Afficher l\'empreinte</summary>' in detail


def test_the_draft_quote_shows_its_prices_and_asks_before_sending(
    catalogue, agent_site, admin_site
):
    submitted = submit_request(agent_site)
    admin_site.post(f"/demandes/{submitted.pk}/devis/")
    quote = Quote.objects.get(request=submitted)
    editor = page_text(admin_site.get(f"/devis/{quote.pk}/"))
    assert "Prix selon la grille tarifaire en vigueur aujourd'hui (17/03/2026)" in editor
    total = editor.split('id="total-brouillon">')[1].split("<")[0]
    assert total.endswith(f"{NB}€")
    assert (
        f'data-confirm="Envoyer ce devis de {total} HT aux signataires de la commune de Test ?'
        ' Ses prix ne changeront plus."' in editor
    )

    response = admin_site.post(f"/devis/{quote.pk}/objet/", {"title": "  "})
    assert QUOTE_TITLE_REQUIRED in page_text(response)
    admin_site.post(f"/devis/{quote.pk}/objet/", {"title": "Messagerie  des élus"})
    quote.refresh_from_db()
    assert quote.title == "Messagerie des élus"
    admin_site.post(f"/devis/{quote.pk}/envoyer/")
    quote.refresh_from_db()
    assert str(quote.total_amount).replace(".", ",") in total.replace(NB, "").replace(" ", "")
    response = admin_site.post(f"/devis/{quote.pk}/objet/", {"title": "Autre"}, follow=True)
    assert QUOTE_TITLE_FROZEN in page_text(response)
    quote.refresh_from_db()
    assert quote.title == "Messagerie des élus"


def test_one_place_for_the_collectivites_documents(
    catalogue, agent_site, signatory_site, admin_site
):
    assert "Aucun document pour le moment" in page_text(agent_site.get("/documents/"))
    quote = sent_quote(agent_site, admin_site)
    accept(signatory_site, quote)
    page = page_text(agent_site.get("/documents/"))
    assert "Les documents de la commune de Test" in page
    assert '<td data-label="Type">Devis accepté</td>' in page
    assert '<td data-label="Type">Conditions particulières (annexe)</td>' in page
    document = quote.documents.get(kind="quote")
    assert f'href="/devis/{quote.pk}/documents/{document.pk}/"' in page
    assert agent_site.get(f"/devis/{quote.pk}/documents/{document.pk}/").status_code == 200
    assert "2 documents" in page
    only_quotes = page_text(agent_site.get("/documents/?kind=quote&year=2026"))
    assert "1 document<" in only_quotes
    assert "Aucun document ne correspond à ces filtres." in page_text(
        agent_site.get("/documents/?kind=invoice")
    )
