from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FootprintsConfig(AppConfig):
    name = "footprints"
    verbose_name = _("产品碳足迹")
