"""WSGI entry point (gunicorn dezhou_carbon.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dezhou_carbon.settings")
application = get_wsgi_application()
