"""The README's journeys on the data of `load_demo`, in a real browser, with the clock frozen
on a day of January and a day of November (issue 10, "Done when"): each role's home page
shows the right to-do and count at each step, and no page visited has a serious or critical
axe-core violation (at 1280 px, and a subset at 360 px), a duplicate id or a
Content-Security-Policy violation (the `page` fixture).

The demo runs on its own database and server process (tests/browser/demo_site.py); the
tests of this module run in order, each journey starting from where the previous one left
the demo.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import axe_violations
from tests.browser.demo_site import DEMO_PASSWORD, demo_site

pytestmark = pytest.mark.browser

# a Thursday in January and a Tuesday in November, at 10:00 in Paris
DAYS = ("2027-01-14T10:00:00+01:00", "2025-11-18T10:00:00+01:00")
NARROW = 360


@pytest.fixture(scope="module", params=DAYS, ids=("janvier", "novembre"))
def demo(request, demo_template):
    with demo_site(demo_template, request.param) as site:
        yield site


def check(page, where: str, *, narrow: bool = False) -> None:
    """No serious or critical axe-core violation at 1280 px (and at 360 px when asked);
    screenshots in $PORTAL_JOURNEY_SHOTS when set (to look at them)."""
    assert axe_violations(page) == [], f"{where} (1280 px)"
    shoot(page, where)
    if narrow:
        page.set_viewport_size({"width": NARROW, "height": 740})
        assert axe_violations(page) == [], f"{where} ({NARROW} px)"
        shoot(page, f"{where} {NARROW}")
        page.set_viewport_size({"width": 1280, "height": 900})


def shoot(page, where: str) -> None:
    if folder := os.environ.get("PORTAL_JOURNEY_SHOTS"):
        name = re.sub(r"\W+", "-", where.lower()).strip("-")
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def sign_in(page, demo, slug: str | None, email: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(demo.url(slug, "/comptes/login/"))
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    if slug is None:
        page.wait_for_url("**/comptes/2fa/authenticate/")
        page.get_by_label("Code").fill(demo.totp_code())
        page.get_by_role("button", name="Connexion").click()
    page.get_by_role("heading", name="À faire", exact=False).first.wait_for()


def queue_count(page, key: str) -> int:
    """The count a home page shows for one of its work queues (0 when the queue is absent)."""
    heading = page.locator(f"#file-{key}")
    if not heading.count():
        return 0
    return int(heading.locator(".count").inner_text())


def test_signatory_accepts_the_waiting_quote(demo, page):
    sign_in(page, demo, "val-de-saire", "maire@val-de-saire.demo")
    assert queue_count(page, "quotes_to_sign") == 1
    check(page, "accueil du signataire", narrow=True)
    page.locator("#file-quotes_to_sign").locator("xpath=..").get_by_role("link").first.click()
    page.get_by_role("heading", name="Accepter le devis").wait_for()
    check(page, "devis à signer", narrow=True)
    page.get_by_label("Numéro de bon de commande ou d'engagement").fill("ENG-DEMO-001")
    page.get_by_label("J'ai lu le devis et ses annexes", exact=False).check()
    framework = page.get_by_label("J'accepte la convention cadre")
    if framework.count():
        framework.check()
    page.get_by_role("button", name="Accepter le devis").click()
    expect(page.get_by_text("ENG-DEMO-001").first).to_be_visible()
    check(page, "devis accepté")
    page.goto(demo.url("val-de-saire"))
    assert queue_count(page, "quotes_to_sign") == 0


def test_syndicate_approves_and_activates_in_one_action(demo, page):
    sign_in(page, demo, None, "admin@numerique-demo.fr")
    assert queue_count(page, "quotes_to_approve") == 1
    check(page, "accueil du syndicat", narrow=True)
    page.locator("#file-quotes_to_approve").locator("xpath=..").get_by_role("link").first.click()
    page.get_by_role("button", name="Approuver le devis").click()
    page.get_by_role("button", name="Tout activer").wait_for()
    check(page, "devis approuvé", narrow=True)
    page.goto(demo.url(None))
    assert queue_count(page, "quotes_to_approve") == 0
    assert queue_count(page, "lines_to_activate") == 2
    page.locator("#file-lines_to_activate").locator("xpath=..").get_by_role("link").first.click()
    page.get_by_role("button", name="Tout activer").click()
    expect(page.get_by_role("button", name="Tout activer")).to_have_count(0)
    expect(page.get_by_text(re.compile("activée?s? le", re.I)).first).to_be_visible()
    check(page, "lignes activées")
    page.goto(demo.url(None))
    assert queue_count(page, "lines_to_activate") == 0


def first_item(page, key: str) -> None:
    """Follows the first (oldest) link of a home page's work queue."""
    page.locator(f"#file-{key}").locator("xpath=..").get_by_role("link").first.click()


NEEDS = "Deux salles pour le conseil municipal et les commissions"


def test_agent_request_keeps_its_needs_to_the_syndicate_quote(demo, page):
    sign_in(page, demo, "val-de-saire", "agent@val-de-saire.demo")
    before = queue_count(page, "my_requests")
    check(page, "accueil de l'agent", narrow=True)
    page.goto(demo.url("val-de-saire", "/catalogue/visio-bigbluebutton/"))
    page.get_by_role("complementary").get_by_label("Quantité").fill("2")
    page.get_by_role("button", name="Ajouter à ma demande").click()
    page.get_by_role("heading", name="Ma demande en cours").wait_for()
    page.get_by_label("Précisions (services par utilisateur, quotas, assistance…)").fill(NEEDS)
    check(page, "demande en cours", narrow=True)
    # the needs typed and the button that sends are one form: nothing typed is lost
    page.get_by_role("button", name="Transmettre au syndicat").click()
    expect(page.get_by_text("transmise", exact=False).first).to_be_visible()
    page.goto(demo.url("val-de-saire"))
    assert queue_count(page, "my_requests") == before + 1

    page.context.clear_cookies()
    sign_in(page, demo, None, "admin@numerique-demo.fr")
    assert queue_count(page, "requests_to_quote") == 1
    first_item(page, "requests_to_quote")
    expect(page.get_by_text(NEEDS)).to_be_visible()
    check(page, "demande à chiffrer", narrow=True)
    page.get_by_role("button", name="Établir le devis").click()
    page.get_by_role("button", name="Envoyer").wait_for()
    check(page, "devis en préparation")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Envoyer").click()
    page.get_by_text("valable jusqu'au", exact=False).first.wait_for()
    # the quote leads back to the request, whose needs the syndicate quoted from
    page.get_by_role("link", name=re.compile(r"Demande n° \d+")).first.click()
    expect(page.get_by_text(NEEDS)).to_be_visible()
    page.goto(demo.url(None))
    assert queue_count(page, "requests_to_quote") == 0


def test_functional_admin_invites_a_signatory_who_signs(demo, page):
    sign_in(page, demo, "val-de-saire", "admin@val-de-saire.demo")
    check(page, "accueil de l'administrateur fonctionnel", narrow=True)
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Personnes et rôles"
    ).click()
    page.get_by_role("heading", name="Personnes et rôles").wait_for()
    check(page, "personnes et rôles", narrow=True)
    page.get_by_label("Adresse électronique").fill("adjointe@val-de-saire.demo")
    page.get_by_label("Nom complet").fill("Élodie Adjointe")
    page.get_by_role("group", name="Rôles (obligatoire)").get_by_label("Signataire").check()
    page.get_by_role("button", name="Envoyer l'invitation", exact=True).click()
    expect(page.get_by_text("Invitation envoyée à adjointe@val-de-saire.demo")).to_be_visible()
    check(page, "invitation envoyée")

    [message] = [m for m in demo.mails() if m["To"] == "adjointe@val-de-saire.demo"]
    part = message.get_payload(0) if message.is_multipart() else message
    body = part.get_payload(decode=True).decode("utf-8", errors="replace")  # the link is ASCII
    url = re.search(r"http://\S+/invitation/\S+/", body).group(0)
    page.context.clear_cookies()
    page.goto(url.replace("portail.localhost/", f"portail.localhost:{demo.port}/"))
    check(page, "invitation", narrow=True)
    page.get_by_label("Nom complet").fill("Élodie Adjointe")
    page.locator("#id_password1").fill(DEMO_PASSWORD)
    page.locator("#id_password2").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Accepter l'invitation").click()
    expect(page.get_by_role("heading", name="Bienvenue sur le portail")).to_be_visible()
    page.goto(demo.url("val-de-saire"))
    # the quote the syndicate made from the agent's request waits for her
    assert queue_count(page, "quotes_to_sign") == 1
    first_item(page, "quotes_to_sign")
    page.get_by_label("Numéro de bon de commande ou d'engagement").fill("ENG-DEMO-002")
    page.get_by_label("J'ai lu le devis et ses annexes", exact=False).check()
    page.get_by_role("button", name="Accepter le devis").click()
    expect(page.get_by_text("ENG-DEMO-002").first).to_be_visible()
    page.goto(demo.url("val-de-saire"))
    assert queue_count(page, "quotes_to_sign") == 0


def test_accounts_are_created_and_a_quota_request_keeps_its_reason(demo, page):
    sign_in(page, demo, "val-de-saire", "admin@val-de-saire.demo")
    # load_demo's five accounts were provisioned on the demo systems: nothing pending
    assert queue_count(page, "accounts_attention") == 0
    assert queue_count(page, "quota_requests") == 0
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Comptes", exact=True
    ).click()
    expect(page.get_by_role("heading", name="Comptes", exact=True)).to_be_visible()
    check(page, "comptes", narrow=True)
    service = page.get_by_label("Service")
    service.select_option(
        service.locator("option", has_text="Messagerie").first.get_attribute("value")
    )
    page.get_by_label("Prénom du titulaire").fill("Léa")
    page.get_by_label("Nom de famille du titulaire").fill("Durand")
    page.get_by_label("Adresse électronique du titulaire").fill("lea.durand@val-de-saire.demo")
    page.get_by_label("Identifiant").fill("lea.durand")
    page.get_by_role("button", name="Créer le compte").click()
    row = page.locator("tr", has_text="Léa Durand")
    expect(row).to_contain_text("Actif", timeout=15_000)  # provisioned inline (eager)
    check(page, "compte créé")
    row.get_by_role("link").first.click()
    page.get_by_role("heading", name="Plus d'espace").wait_for()
    check(page, "compte", narrow=True)
    page.get_by_label("Espace supplémentaire (Go)").fill("5")
    page.get_by_label("Motif", exact=True).fill(QUOTA_REASON)
    page.get_by_role("button", name="Demander au syndicat").click()
    expect(page.get_by_text("+5 Go demandés", exact=False)).to_be_visible()
    page.goto(demo.url("val-de-saire"))
    assert queue_count(page, "accounts_attention") == 0
    assert queue_count(page, "quota_requests") == 1

    page.context.clear_cookies()
    sign_in(page, demo, None, "admin@numerique-demo.fr")
    assert queue_count(page, "quota_requests") == 1
    first_item(page, "quota_requests")
    expect(page.get_by_text(QUOTA_REASON)).to_be_visible()
    check(page, "demandes d'espace", narrow=True)


QUOTA_REASON = "Archives du cadastre numérisées"


def test_finance_bills_the_three_collectivites_records_credits_and_exports(demo, page):
    today, year = demo.frozen_at[:10], demo.frozen_at[:4]
    sign_in(page, demo, None, "finances@numerique-demo.fr")
    assert queue_count(page, "payments_to_record") == 0
    check(page, "accueil des finances", narrow=True)
    page.goto(demo.url(None, "/facturation/"))
    check(page, "facturation", narrow=True)
    page.get_by_label("Date de facturation").fill(today)
    page.get_by_role("button", name="Lancer").click()
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "100")
    expect(page.get_by_text("3 factures émises")).to_be_visible()
    check(page, "campagne terminée")
    page.goto(demo.url(None))
    assert queue_count(page, "payments_to_record") == 3
    queue = page.locator("#file-payments_to_record").locator("xpath=..")
    for name in ("Brévands-sur-Vire", "Val-de-Saire", "Bocage"):
        expect(queue.get_by_role("link", name=re.compile(name))).to_have_count(1)

    first_item(page, "payments_to_record")
    page.get_by_role("heading", name="Enregistrer un paiement").wait_for()
    check(page, "facture", narrow=True)
    page.get_by_label("Date du mandat").fill(today)
    page.get_by_label("Référence du mandat").fill("MANDAT-DEMO-1")
    page.get_by_label("Montant payé (€)").fill("10,00")
    page.get_by_role("button", name="Enregistrer le paiement").click()
    expect(page.get_by_role("rowheader", name="MANDAT-DEMO-1")).to_be_visible()
    page.get_by_label("Créditer tout ce qui reste sur la facture", exact=False).check()
    page.get_by_label("Motif de l'avoir").fill("Geste du comité syndical")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Émettre l'avoir").click()
    expect(page.get_by_role("cell", name="Geste du comité syndical", exact=True)).to_be_visible()
    check(page, "facture payée et créditée")
    page.goto(demo.url(None))
    assert queue_count(page, "payments_to_record") == 2  # paid, then credited: settled

    page.goto(demo.url(None, "/facturation/exports/"))
    page.get_by_label("Année").fill(year)
    page.get_by_role("button", name="Préparer l'export").click()
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "100")
    check(page, "export prêt", narrow=True)
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Télécharger factures-{year}.xlsx").click()
    assert download.value.suggested_filename == f"factures-{year}.xlsx"
    page.goto(demo.url(None))
    assert queue_count(page, "exports_ready") == 1


def test_signatory_terminates_and_gets_the_receipt(demo, page):
    sign_in(page, demo, "val-de-saire", "maire@val-de-saire.demo")
    page.goto(demo.url("val-de-saire", "/contrats/"))
    check(page, "contrats", narrow=True)
    page.get_by_role("button", name=re.compile("^Résilier")).first.click()
    page.get_by_role("button", name="Confirmer la résiliation").wait_for()
    check(page, "résiliation", narrow=True)
    page.get_by_role("button", name="Confirmer la résiliation").click()
    receipt = page.get_by_role("link", name="Télécharger l'accusé de réception (PDF)")
    expect(receipt).to_be_visible()
    check(page, "résiliation enregistrée")
    pdf = page.evaluate(
        """async (url) => { const r = await fetch(url);
             const head = new Uint8Array(await r.arrayBuffer()).slice(0, 4);
             return [r.headers.get('content-type'), String.fromCharCode(...head)]; }""",
        receipt.get_attribute("href"),
    )
    assert pdf == ["application/pdf", "%PDF"]
    page.goto(demo.url("val-de-saire", "/contrats/"))
    expect(page.get_by_role("link", name="accusé de réception (PDF)").first).to_be_visible()


def test_secretary_switches_collectivite(demo, page):
    sign_in(page, demo, "brevands", "secretaire@brevands.demo")
    expect(page.locator(".whoami .roles")).to_contain_text("Administrateur fonctionnel")
    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("link", name="Personnes et rôles")).to_be_visible()
    check(page, "accueil de Brévands", narrow=True)
    page.locator(".switcher summary").click()
    page.get_by_role("button", name="Commune de Val-de-Saire").click()
    page.wait_for_url(re.compile(r"//val-de-saire\.portail\.localhost:\d+/connexion/relais/"))
    check(page, "relais vers Val-de-Saire")
    page.get_by_role("button", name="Continuer en tant que Claire Lemonnier").click()
    page.get_by_role("heading", name="À faire", exact=False).first.wait_for()
    expect(page.locator(".whoami .roles")).to_contain_text("Agent")
    nav = page.get_by_role("navigation", name="Navigation principale")
    expect(nav.get_by_role("link", name="Ma demande")).to_be_visible()  # an agent's page
    expect(nav.get_by_role("link", name="Personnes et rôles")).to_have_count(0)
    check(page, "accueil de Val-de-Saire (agent)", narrow=True)
