"""The API's JSON parser: DRF's, except that a body nested deeper than Python's recursion
limit (`[[[[…]]]]`, a few hundred KB) is a 400 in both languages instead of an HTTP 500
(RecursionError is not a ValueError, so DRF's parser let it through)."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            error = ParseError("JSON nested too deeply.")
            error.refusal_code = "json_too_deep"
            error.message_zh = "请求的 JSON 嵌套层数过多，无法解析。"
            error.message_en = "The request's JSON is nested too deeply to be read."
            raise error from None
