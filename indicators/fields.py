"""Model fields of the indicators app."""

from __future__ import annotations

import json

from django.core import checks, exceptions
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdListField(models.Field):
    """A list of integer ids (a result's input figures): `bigint[]` on PostgreSQL, JSON text
    on other databases; always a list of ints in Python.

    Why not JSONField: a full recompute writes ~700,000 of these lists, and PostgreSQL
    parses a `bigint[]` from COPY text markedly faster than a jsonb document (measured:
    ~1.5 s of a full recompute's write); the engine never queries inside the list."""

    description = _("整数编号列表")
    empty_strings_allowed = False

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    def check(self, **kwargs):
        return [*super().check(**kwargs), *self._check_default()]

    def _check_default(self):
        if self.has_default() and not callable(self.default):
            return [checks.Error("IdListField's default must be callable (e.g. list).", obj=self)]
        return []

    def db_type(self, connection):
        return "bigint[]" if connection.vendor == "postgresql" else "text"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        if isinstance(value, str):
            return json.loads(value)
        return list(value)

    def to_python(self, value):
        if value is None or isinstance(value, list):
            return value
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError as error:
                raise exceptions.ValidationError(str(error), code="invalid") from error
        try:
            return [int(pk) for pk in value]
        except (TypeError, ValueError) as error:
            raise exceptions.ValidationError(str(error), code="invalid") from error

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None:
            return None
        ids = [int(pk) for pk in value]
        return ids if connection.vendor == "postgresql" else json.dumps(ids)

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj))
