"""Connectors to the real systems behind the services (issue 6). See base.py."""
