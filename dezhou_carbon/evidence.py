"""The fields every evidence file keeps (an abstract model): its name, the kind its content
was checked to be (dezhou_carbon/files.py evidence_file_check), its size, SHA-256, who
uploaded it and when. A concrete evidence model adds what it belongs to, where its file is
stored and its Meta. OptionalEvidence is the same record kept, optionally, on the row it
documents. Imported only from apps' models modules."""

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


class OptionalEvidence(models.Model):
    """An optional evidence file kept on the row it documents (a measure's progress report,
    an enterprise's certificate) rather than as rows of its own: the same content check and
    SHA-256 as EvidenceFile, its fields prefixed `file_` and blank when no file was given.
    The row's own author and time stand for the uploader, and its `kind` stays free for the
    row's meaning (a certificate's kind). A concrete model adds its `file` field (where it
    is stored)."""

    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    file_kind = models.CharField(max_length=20, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        abstract = True
