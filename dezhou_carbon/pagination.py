"""The API's one pagination: `?limit=` and `?offset=`, bounded.

DRF's LimitOffsetPagination has no `max_limit` by default and passes any offset to the
database: `?limit=100000000000000000000` overflowed PostgreSQL's bigint and answered HTTP
500 on 14 of 17 lists (issue 14 #6), and `?limit=abc` was silently ignored. Here a limit
above MAX_LIMIT is served as MAX_LIMIT (the answer's `next` link carries on), and a limit
or offset that is not a whole number in range is a 400 in both languages.
"""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

MAX_LIMIT = 1000
# Far beyond any list of this product, far below PostgreSQL's bigint.
MAX_OFFSET = 10**9


def _refusal(param: str, raw: str, zh: str, en: str) -> ValidationError:
    error = ValidationError({param: [en]}, code="invalid_page")
    # dezhou_carbon.api.exception_handler puts these into the envelope.
    error.refusal_code = "invalid_page"
    error.message_zh = zh
    error.message_en = en
    return error


def _whole_number(param: str, raw: str, *, minimum: int, maximum: int | None) -> int:
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 30:
        raise _refusal(
            param,
            raw,
            f"分页参数 {param} 应为整数，收到“{raw[:40]}”。",
            f"The paging parameter {param} must be a whole number, not '{raw[:40]}'.",
        )
    value = int(text)
    if value < minimum:
        raise _refusal(
            param,
            raw,
            f"分页参数 {param} 不能小于 {minimum}。",
            f"The paging parameter {param} cannot be less than {minimum}.",
        )
    if maximum is not None and value > maximum:
        raise _refusal(
            param,
            raw,
            f"分页参数 {param} 不能大于 {maximum}。",
            f"The paging parameter {param} cannot be greater than {maximum}.",
        )
    return value


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = MAX_LIMIT

    def get_limit(self, request):
        raw = request.query_params.get(self.limit_query_param)
        if raw is None or raw == "":
            return self.default_limit
        return min(_whole_number(self.limit_query_param, raw, minimum=1, maximum=None), MAX_LIMIT)

    def get_offset(self, request):
        raw = request.query_params.get(self.offset_query_param)
        if raw is None or raw == "":
            return 0
        return _whole_number(self.offset_query_param, raw, minimum=0, maximum=MAX_OFFSET)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = (
                    f"Number of results to return per page (at most {MAX_LIMIT}; a larger "
                    "limit is served as that many)."
                )
            elif parameter["name"] == self.offset_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}
        return parameters
