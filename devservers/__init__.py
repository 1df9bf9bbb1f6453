"""Local stand-ins for the systems behind the services (BlueMind, Nextcloud, BigBlueButton).

Each module is an in-memory HTTP server that implements, from the products' documentation,
exactly the endpoints the portal's connectors (accounts/connectors/) call — with their
authentication, their answers and their errors — for the tests and for the demo (`make run`
starts them when no real system is configured). They are not the products: what they do not
implement, the connectors do not use. See base.py for starting one, reading its state and
injecting faults; `python -m devservers.<name> --port N` runs one by hand.
"""
