"""What the two HTTP surfaces (the API and the studio) share, below both of them.

Request context and authentication (``deps``), cookies, the Host allow-list, rate
limits and error responses. ``api`` and ``web`` import from here, never each other;
:mod:`reelvault.app` mounts both.
"""
