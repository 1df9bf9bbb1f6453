"""Every home page is a work queue (issue 10, item 4): each role sees what waits for it, with
counts, oldest first, each a link; the navigation's badges carry the same counts; the number
of queries does not grow with the number of rows."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.models import Quote, QuoteLine, ServiceRequest, Subscription
from tests.conftest import page_text
from tests.contracts.integration.test_pages import accept, sent_quote, submit_request


def badge(key: str, count: int) -> str:
    return (
        f'<span id="badge-{key}" class="nav-badge"><span class="badge-count" '
        f'aria-hidden="true">{count}</span><span class="visually-hidden"> ({count} à traiter)'
        "</span></span>"
    )


def test_the_signatory_sees_the_quote_to_sign_with_its_days_left(
    catalogue, agent_site, signatory_site, admin_site
):
    quote = sent_quote(agent_site, admin_site)
    home = page_text(signatory_site.get("/"))
    assert '<h2 id="a-faire-titre">À faire : 1 élément en attente</h2>' in home
    assert 'Devis à signer <span class="count">1</span>' in home
    assert f'<a href="/devis/{quote.pk}/">Devis {quote.reference} — {quote.title}</a>' in home
    assert "à signer au plus tard le 17/04/2026 : plus que 31 jours" in home
    assert badge("requests", 1) in home
    assert "Bienvenue sur le portail de la commune de Test" in home

    # Signed: it no longer waits for her; it waits for the syndicate.
    accept(signatory_site, quote)
    home = page_text(signatory_site.get("/"))
    assert "Devis à signer" not in home.split('id="sections-title"')[0].replace(
        "Aucun devis n'attend votre signature.", ""
    )
    assert "Aucun devis n'attend votre signature." in home
    backoffice = page_text(admin_site.get("/"))
    assert 'Devis acceptés à approuver <span class="count">1</span>' in backoffice
    assert f"Devis {quote.reference} de la commune de Test" in backoffice
    assert "signé le 17/03/2026, à approuver" in backoffice
    assert badge("work_queue", 1) in backoffice


def test_the_agent_follows_their_requests(catalogue, agent_site, admin_site):
    submitted = submit_request(agent_site)
    home = page_text(agent_site.get("/"))
    assert 'Vos demandes et où elles en sont <span class="count">1</span>' in home
    assert f"Demande n° {submitted.pk}" in home
    assert "transmise le 17/03/2026 : le syndicat prépare le devis" in home

    backoffice = page_text(admin_site.get("/"))
    assert 'Demandes à chiffrer <span class="count">1</span>' in backoffice
    assert (
        f'<a href="/demandes/{submitted.pk}/">Demande n° {submitted.pk} de la commune de Test</a>'
        in backoffice
    )

    admin_site.post(f"/demandes/{submitted.pk}/devis/")
    quote = Quote.objects.get(request=submitted)
    admin_site.post(f"/devis/{quote.pk}/envoyer/")
    home = page_text(agent_site.get("/"))
    assert f"devis {quote.reference} à signer" in home


def test_badges_on_other_pages_come_from_the_same_queues(
    catalogue, agent_site, signatory_site, admin_site
):
    sent_quote(agent_site, admin_site)
    page = page_text(signatory_site.get("/contrats/"))
    assert '<span data-badges-url="/a-faire/compteurs/" hidden></span>' in page
    oob = page_text(signatory_site.get("/a-faire/compteurs/"))
    assert (
        '<span id="badge-requests" class="nav-badge" hx-swap-oob="true"><span class="badge-count"'
        ' aria-hidden="true">1</span>' in oob
    )
    assert agent_site.get("/a-faire/compteurs/").status_code == 200


def test_the_syndicate_activates_every_line_of_an_order_in_one_action(
    catalogue, tenant, agent_site, signatory_site, admin_site
):
    quote = sent_quote(agent_site, admin_site)
    accept(signatory_site, quote)
    admin_site.post(f"/devis/{quote.pk}/approuver/")
    home = page_text(admin_site.get("/"))
    assert 'Lignes à activer <span class="count">2</span>' in home
    assert "2 lignes à activer (en une fois)" in home
    editor = page_text(admin_site.get(f"/devis/{quote.pk}/"))
    assert "Activer les 2 lignes restantes en une fois" in editor

    response = admin_site.post(
        f"/devis/{quote.pk}/activer-tout/", {"toutes-activated_on": "2026-03-01"}
    )
    assert response.status_code == 200
    assert "La date d'activation ne peut précéder l'approbation du devis." in page_text(response)
    assert not QuoteLine.objects.filter(quote=quote, activated_on__isnull=False).exists()

    response = admin_site.post(
        f"/devis/{quote.pk}/activer-tout/", {"toutes-activated_on": "2026-03-17"}, follow=True
    )
    assert "2 lignes activées le 17/03/2026." in page_text(response)
    assert not QuoteLine.objects.filter(quote=quote, activated_on__isnull=True).exists()
    assert Subscription.objects.filter(collectivite=tenant).count() == 2
    assert "Aucune ligne à activer." in page_text(admin_site.get("/"))
    response = admin_site.post(
        f"/devis/{quote.pk}/activer-tout/", {"toutes-activated_on": "2026-03-17"}, follow=True
    )
    assert "Toutes les lignes de cette commande sont déjà activées." in page_text(response)


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_home_pages_run_a_constant_number_of_queries(
    catalogue, agent_site, signatory_site, admin_site, finance_site, django_assert_num_queries
):
    sent_quote(agent_site, admin_site)
    submit_request(agent_site)
    for site in (signatory_site, agent_site, admin_site, finance_site):
        site.get("/")  # warms the per-site caches (host, status banner): not the page's cost
    signatory_one = _queries(signatory_site, "/")
    agent_one = _queries(agent_site, "/")
    admin_one = _queries(admin_site, "/")
    finance_one = _queries(finance_site, "/")

    # More of everything: quotes to sign, requests of the agent, requests to quote.
    agent_request = ServiceRequest.objects.get(status="submitted")
    ServiceRequest.objects.filter(pk=agent_request.pk).update(status="quoted")
    for _ in range(3):
        sent_quote(agent_site, admin_site)
    for _ in range(3):
        ServiceRequest.objects.create(
            collectivite=agent_request.collectivite,
            status="submitted",
            submitted_at=agent_request.submitted_at,
            submitted_by=agent_request.submitted_by,
            created_by=agent_request.created_by,
        )
    assert Quote.objects.filter(status="sent").count() == 4
    assert ServiceRequest.objects.filter(status="submitted").count() == 3
    with django_assert_num_queries(signatory_one):
        signatory_site.get("/")
    with django_assert_num_queries(agent_one):
        agent_site.get("/")
    with django_assert_num_queries(admin_one):
        admin_site.get("/")
    with django_assert_num_queries(finance_one):
        finance_site.get("/")
