"""Loopback stand-ins for the services genpost talks to, for tests, bench and demo."""
