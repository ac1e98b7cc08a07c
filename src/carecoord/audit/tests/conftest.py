"""Fixtures for the web-page tests of this app."""

from carecoord.web.testing import plain_static_files  # noqa: F401
