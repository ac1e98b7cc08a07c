"""WSGI entry point used by ``carecoord serve``."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecoord.settings")
application = get_wsgi_application()
