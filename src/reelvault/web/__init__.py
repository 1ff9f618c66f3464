"""The web studio: pages, static ES modules and the few JSON endpoints they need.

Everything is served by the API process itself, from files inside the package; the
pages load nothing from other origins, so they work with the network closed.
"""
