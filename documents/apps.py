"""A collectivité's documents in one place: framework agreements, annexes and quotes it
accepted, termination receipts, invoices and credit notes.

No models: every document already lives in the public schema (contracts, billing), and is
downloaded through the views of its own app, which check the right (P4)."""

from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Documents d'une collectivité"
