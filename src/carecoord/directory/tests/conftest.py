"""Fixtures for the directory's tests."""

from carecoord.web.testing import plain_static_files  # noqa: F401
