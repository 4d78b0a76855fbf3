"""The fields every evidence file keeps (an abstract model): its name, the kind its content
was checked to be (dezhou_carbon/files.py evidence_file_check), its size, SHA-256, who
uploaded it and when. A concrete evidence model adds what it belongs to, where its file is
stored and its Meta. Imported only from apps' models modules."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EvidenceFile(models.Model):
    name = models.CharField(_("文件名"), max_length=255)
    kind = models.CharField(_("类型"), max_length=20)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name
