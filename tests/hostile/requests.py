"""Hostile and careless requests (issue 14): the payloads a probe sent that answered HTTP
500 or wrote something wrong, each with what the product must answer now. The files are in
spreadsheets.py / evidence.py; tests/test_hostile_requests.py sends every one of these."""

from dataclasses import dataclass, field

# A body deeper than Python's recursion limit: DRF's JSON parser raised RecursionError.
DEEP_JSON = "[" * 100_000 + "]" * 100_000
HUGE = "100000000000000000000"


@dataclass(frozen=True)
class HostileRequest:
    name: str
    method: str  # "get" | "post"
    path: str  # a URL name and args resolved by the test: "api:figure-list" etc.
    args: tuple = ()
    params: dict = field(default_factory=dict)  # query string
    json_body: str | None = None  # raw JSON text
    status: int = 400
    code: str = ""  # the envelope's code (API)


API = [
    HostileRequest("nul in a json body", "post", "api:progress-report-list",
                   json_body='{"task": "1", "period": "2026Q3", "text": "a\\u0000b"}',
                   code="null_character"),
    HostileRequest("nul in a query parameter", "get", "api:figure-list",
                   params={"period": "2024Q1\x00"}, code="null_character"),
    HostileRequest("1e309 typed as a figure", "post", "api:figure-list",
                   json_body='{"period": "2024Q1", "entries": [{"item": "coal_raw", "value": "1e309"}]}',
                   code="not_a_number"),
    HostileRequest("twenty integer digits", "post", "api:figure-list",
                   json_body='{"period": "2024Q1", "entries": [{"item": "coal_raw", "value": "99999999999999999999"}]}',
                   code="not_a_number"),
    HostileRequest("a full-width period in the path", "get",
                   "/api/v1/department-periods/GRID/２０２５Q1/", status=404, code="not_found"),
    HostileRequest("a huge limit", "get", "api:figure-list", params={"limit": HUGE}, status=200),
    HostileRequest("a huge offset", "get", "api:figure-list", params={"offset": HUGE},
                   code="invalid_page"),
    HostileRequest("a limit that is not a number", "get", "api:warning-list",
                   params={"limit": "all"}, code="invalid_page"),
    HostileRequest("json nested 100,000 deep", "post", "api:figure-list", json_body=DEEP_JSON,
                   code="json_too_deep"),
    HostileRequest("an unknown api path", "get", "/api/v1/../v1/nothing-here/", status=404,
                   code="not_found"),
]  # fmt: skip
