"""Settings split by environment: base (shared), dev, test, production.

Every value that differs between machines comes from the environment; see README.md
(Configuration) for the list.
"""
