"""The frozen annual progress report as .docx, PDF and its xlsx data annex.

Everything here reads the frozen document (pilot.selectors.pilot_document), never the
database, so one frozen report always gives the same bytes: the core properties and the
creation dates are the freezing time, every zip member of the .docx and the .xlsx carries
that time too, and the PDF identifier comes from the document's hash. Text a spreadsheet
could evaluate is written inert (dezhou_carbon.spreadsheets); numbers are written as
numbers in the annex."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import translation

from dezhou_carbon import display
from dezhou_carbon.spreadsheets import inert_workbook, needs_quoting

Progress = Callable[[int], None]

WORDS = {
    "title": ("年度试点进展报告", "Annual pilot progress report"),
    "frozen": ("定稿于", "Frozen at"),
    "owner": ("责任单位", "Responsible unit"),
    "state": ("状态", "State"),
    "code": ("编号", "Code"),
    "target": ("目标", "Target"),
    "target_value": ("目标值", "Target value"),
    "period": ("期间", "Period"),
    "value": ("实际值", "Value"),
    "completion": ("完成进度/距保持线", "Completion / margin"),
    "status": ("状态", "Status"),
    "unit": ("单位", "Unit"),
    "task": ("任务", "Task"),
    "lead": ("牵头单位", "Lead unit"),
    "verified": ("累计销号要点", "Items verified to date"),
    "items": ("要点总数", "Items"),
    "work_item": ("工作要点", "Work item"),
    "verified_period": ("销号期间", "Verified in"),
    "project_code": ("项目代码", "Project code"),
    "project": ("项目名称", "Project"),
    "enterprise": ("企业", "Enterprise"),
    "stage": ("阶段", "Stage"),
    "review": ("节能审查(文号)", "Energy review (document no.)"),
    "assessment": ("碳排放评价(tCO₂/年)", "Carbon assessment (tCO₂/yr)"),
    "counter": ("计数", "Counter"),
    "count": ("数值", "Count"),
    "document_no": ("文号", "Document no."),
    "subject": ("事项", "Subject"),
    "case": ("案例", "Case"),
    "summary": ("摘要", "Summary"),
    "yes": ("已完成", "Done"),
    "no": ("未开展", "Not yet"),
    "narrative": ("文字说明", "Narrative"),
    "not_written": ("(未填写)", "(not written)"),
    "sheet_targets": ("目标完成情况", "Targets"),
    "sheet_tasks": ("任务进展", "Tasks"),
    "sheet_items": ("本年销号要点", "Items verified"),
    "sheet_projects": ("重点项目", "Projects"),
    "sheet_innovations": ("政策创新计数", "Innovation counters"),
    "sheet_documents": ("文号", "Documents"),
    "sheet_cases": ("典型案例", "Cases"),
    "innovation": ("政策创新", "Policy innovation"),
    "sheet_assessment": ("单位考核", "Assessment"),
    "score": ("得分", "Score"),
    "grade": ("等次", "Grade"),
    "department": ("推荐单位", "Proposed by"),
    "links": ("关联任务/项目/企业", "Linked tasks / projects / enterprises"),
}

STATES = {
    "draft": ("起草中", "Draft"),
    "submitted": ("待管委会审定", "Awaiting the committee"),
    "approved": ("已审定", "Approved"),
}


@dataclass(frozen=True)
class Num:
    """A number of the report: shown rounded in the document, written whole in the annex."""

    value: Decimal | None
    places: int = 2
    percent: bool = False


@dataclass
class Table:
    name: str  # the annex sheet's key in WORDS
    headings: list[str]
    rows: list[list] = field(default_factory=list)


@dataclass
class Block:
    key: str
    title: str
    owner: str
    state: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    subsections: list[Block] = field(default_factory=list)


class Words:
    def __init__(self, language: str):
        self.english = language.startswith("en")
        self.language = "en" if self.english else "zh-hans"

    def __getitem__(self, key: str) -> str:
        zh, en = WORDS[key]
        return en if self.english else zh

    def pick(self, row: dict | None, name: str) -> str:
        if not row:
            return ""
        if self.english:
            return row.get(f"{name}_en") or row.get(f"{name}_zh") or ""
        return row.get(f"{name}_zh") or ""

    def department(self, row: dict | None) -> str:
        return self.pick(row, "name") if row else "—"

    def say(self, zh: str, en: str) -> str:
        return en if self.english else zh


def cell_text(value) -> str:
    from dashboards.selectors import number_text, percent_text

    if value is None:
        return "—"
    if isinstance(value, Num):
        if value.value is None:
            return "—"
        return (
            percent_text(value.value) if value.percent else number_text(value.value, value.places)
        )
    return str(value)


def _decimal(text) -> Decimal | None:
    return Decimal(text) if text not in (None, "") else None


def _period_text(code: str | None, words: Words) -> str:
    from indicators.periods import ytd_text

    return ytd_text(code, words.language) if code else "—"


def _targets_block(document: dict, words: Words, block: Block) -> None:
    from dashboards.selectors import margin_text, status_label

    snapshot = document["snapshot"]
    if snapshot is None:
        block.paragraphs.append(
            words.say(
                f"{document['year']}年尚无冻结的填报轮次快照，目标完成情况暂缺。",
                f"No reporting round of {document['year']} is frozen yet: the targets' "
                "attainment is not available.",
            )
        )
    else:
        block.paragraphs.append(
            words.say(
                f"数据取自{_period_text(snapshot['period'], words)}填报轮次的冻结快照"
                f"（冻结于 {snapshot['taken_at']}，SHA-256 {snapshot['sha256'][:12]}…）。",
                f"Figures from the frozen snapshot of the {_period_text(snapshot['period'], words)}"
                f" reporting round (frozen at {snapshot['taken_at']}, SHA-256 "
                f"{snapshot['sha256'][:12]}…).",
            )
        )
        table = Table(
            "sheet_targets",
            [words[k] for k in ("code", "target", "target_value", "period", "value", "unit",
                                "completion", "status", "owner")],
        )  # fmt: skip
        for t in document["targets"]:
            if t["kind"] == "hold":
                progress = margin_text(
                    _decimal(t["hold_margin"]), unit=t["unit"], places=t["places"]
                )
            else:
                progress = Num(_decimal(t["completion"]), percent=True)
            table.rows.append(
                [
                    t["code"],
                    words.pick(t, "title"),
                    words.pick(t, "target_text"),
                    _period_text(t["period"], words),
                    Num(_decimal(t["value"]), t["places"]),
                    t["unit"],
                    progress,
                    status_label(t["status"]),
                    words.department(t["owner"]),
                ]
            )
        block.tables.append(table)
    assessment = document.get("assessment")
    if assessment is None:
        block.paragraphs.append(
            words.say(
                "责任单位考核评估：该年度尚无考核方案或考核结果，本报告暂不列示。",
                "Assessment of the responsible units: the year has no assessment scheme or "
                "scores yet, so this report shows none.",
            )
        )
    else:
        from assessment.display import grade_label, source_label

        with translation.override(words.language):
            source = source_label(assessment["source"])
            block.paragraphs.append(
                words.say(
                    f"责任单位考核评估（{source}）：",
                    f"Assessment of the responsible units ({source}):",
                )
            )
            table = Table("sheet_assessment", [words["owner"], words["score"], words["grade"]])
            for row in assessment["rows"]:
                table.rows.append(
                    [
                        words.pick(row, "name") or row["department"],
                        Num(_decimal(row["total"]), 2),
                        grade_label(row["grade"]),
                    ]
                )
        block.tables.append(table)


def _tasks_block(document: dict, words: Words, block: Block) -> None:
    summary = Table(
        "sheet_tasks",
        [words["code"], words["task"], words["lead"], words["verified"], words["items"]],
    )
    items = Table(
        "sheet_items", [words["code"], words["task"], words["work_item"], words["verified_period"]]
    )
    for task in document["tasks"]:
        summary.rows.append(
            [task["code"], words.pick(task, "title"), words.department(task["lead"]),
             task["items_verified"], task["items_total"]]
        )  # fmt: skip
        for item in task["verified_in_year"]:
            items.rows.append(
                [item["code"], task["code"], words.pick(item, "title"),
                 _period_text(item["verified_period"], words)]
            )  # fmt: skip
    verified = len(items.rows)
    block.paragraphs.append(
        words.say(
            f"{document['year']}年经管委会销号的工作要点 {verified} 项。",
            f"{verified} work item(s) verified by the committee in {document['year']}.",
        )
        if verified
        else words.say(
            f"{document['year']}年尚无经管委会销号的工作要点。",
            f"No work item was verified by the committee in {document['year']}.",
        )
    )
    block.tables.append(summary)
    if verified:
        block.tables.append(items)


def _projects_block(document: dict, words: Words, block: Block) -> None:
    from projects.models import Stage

    projects = document["projects"]
    if not projects["total"]:
        block.paragraphs.append(words.say("尚无登记的重点项目。", "No key project is registered."))
        return
    block.paragraphs.append(
        words.say(
            f"登记重点项目 {projects['total']} 个，其中完成节能审查 {projects['reviewed']} 个、"
            f"完成碳排放评价 {projects['assessed']} 个。",
            f"{projects['total']} key project(s) registered: {projects['reviewed']} with an "
            f"energy review, {projects['assessed']} with a carbon assessment.",
        )
    )
    table = Table(
        "sheet_projects",
        [words[k] for k in ("project_code", "project", "enterprise", "owner", "stage", "review",
                            "assessment")],
    )  # fmt: skip
    with translation.override(words.language):
        for p in projects["rows"]:
            table.rows.append(
                [
                    p["code"],
                    p["name"],
                    p["enterprise"],
                    words.department(p["department"]),
                    str(Stage(p["stage"]).label) if p["stage"] in Stage.values else p["stage"],
                    (p["review_document_no"] or words["yes"]) if p["reviewed"] else words["no"],
                    Num(_decimal(p["assessed_t"]), 2) if p["assessed"] else words["no"],
                ]
            )
    block.tables.append(table)


def _innovations_block(document: dict, words: Words, block: Block) -> None:
    for innovation in document["innovations"]:
        sub = Block(
            key=innovation["code"],
            title=f"{innovation['code']} {words.pick(innovation, 'title')}",
            owner="",
            state="",
        )
        counters = Table(
            "sheet_innovations", [words["innovation"], words["counter"], words["count"]]
        )
        for counter in innovation["counters"]:
            counters.rows.append(
                [innovation["code"], words.pick(counter, "label"), counter["value"]]
            )
        if counters.rows:
            sub.tables.append(counters)
        else:
            sub.paragraphs.append(words.say("尚无计数。", "No counter recorded."))
        documents = Table(
            "sheet_documents", [words["innovation"], words["document_no"], words["subject"]]
        )
        for doc in innovation["documents"]:
            documents.rows.append(
                [innovation["code"], doc["document_no"], words.pick(doc, "subject")]
            )
        if documents.rows:
            sub.tables.append(documents)
        else:
            sub.paragraphs.append(
                words.say(
                    f"{document['year']}年未登记带文号的文件。",
                    f"No document with a number (文号) is recorded for {document['year']}.",
                )
            )
        block.subsections.append(sub)


def _cases_block(document: dict, words: Words, block: Block) -> None:
    cases = document.get("cases")
    if not cases:
        block.paragraphs.append(
            words.say("案例库尚无典型经验做法。", "The case library holds no typical case yet.")
        )
        return
    table = Table(
        "sheet_cases",
        [words["case"], words["summary"], words["department"], words["links"], words["status"],
         words["document_no"]],
    )  # fmt: skip
    for case in cases:
        links = "；".join(
            part
            for part in (
                "、".join(case["tasks"]),
                "、".join(case["projects"]),
                "、".join(case["enterprises"]),
            )
            if part
        )
        table.rows.append(
            [words.pick(case, "title"), words.pick(case, "summary"),
             words.department(case["department"]), links or "—", words.pick(case, "status"),
             case["document_no"] or "—"]
        )  # fmt: skip
    block.tables.append(table)


BUILDERS = {
    "targets": _targets_block,
    "tasks": _tasks_block,
    "projects": _projects_block,
    "innovations": _innovations_block,
    "cases": _cases_block,
}


def blocks(document: dict, words: Words) -> list[Block]:
    """The report's sections in order, each with its data and its narrative."""
    result = []
    for number, section in enumerate(document["sections"], start=1):
        state_zh, state_en = STATES[section["state"]]
        block = Block(
            key=section["key"],
            title=f"{_numeral(number, words)}{words.pick(section, 'title')}",
            owner=words.department(section["owner"]),
            state=words.say(state_zh, state_en),
        )
        builder = BUILDERS.get(section["key"])
        if builder is not None:
            builder(document, words, block)
        narrative = section["narrative"].strip()
        if narrative:
            block.paragraphs.extend(p.strip() for p in narrative.splitlines() if p.strip())
        elif builder is None:
            block.paragraphs.append(words["not_written"])
        result.append(block)
    return result


def _numeral(number: int, words: Words) -> str:
    if words.english:
        return f"{number}. "
    return "一二三四五六七八九十"[number - 1] + "、" if number <= 10 else f"{number}、"


def _frozen(document: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(document["frozen_at"])


def _title(document: dict, words: Words) -> str:
    park = words.pick(document["plan"], "park")
    if words.english:
        return f"{park}: {words['title']} {document['year']}"
    return f"{park}{document['year']}年度碳达峰试点进展报告"


# --- docx ----------------------------------------------------------------------------------------


def _stable_zip(content: bytes, moment: dt.datetime) -> bytes:
    """The same zip with every member dated `moment` and written in the same order and
    compression: python-docx stamps members with the clock."""
    source = zipfile.ZipFile(io.BytesIO(content))
    output = io.BytesIO()
    stamp = (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute,
             moment.second - moment.second % 2)  # fmt: skip
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            target.writestr(member, source.read(info.filename))
    return output.getvalue()


def _east_asian(run_or_style, font: str = "宋体") -> None:
    from docx.oxml.ns import qn

    element = run_or_style.element
    properties = element.get_or_add_rPr()
    fonts = properties.find(qn("w:rFonts"))
    if fonts is None:
        fonts = properties.makeelement(qn("w:rFonts"), {})
        properties.append(fonts)
    fonts.set(qn("w:eastAsia"), font)


def render_docx(document: dict, *, language: str, progress: Progress) -> bytes:
    from docx import Document
    from docx.shared import Pt

    words = Words(language)
    frozen = _frozen(document)
    naive = frozen.replace(tzinfo=None)
    utc = frozen.astimezone(dt.UTC).replace(tzinfo=None)  # core properties are in UTC
    doc = Document()
    for name in ("Normal", "Heading 1", "Heading 2", "Title"):
        style = doc.styles[name]
        style.font.name = "Times New Roman"
        _east_asian(style, "黑体" if name != "Normal" else "宋体")
    doc.styles["Normal"].font.size = Pt(10.5)
    properties = doc.core_properties
    properties.title = _title(document, words)
    properties.author = "dezhou-carbon"
    properties.last_modified_by = "dezhou-carbon"
    properties.created = utc
    properties.modified = utc
    properties.last_printed = utc
    properties.revision = 1
    properties.comments = f"SHA-256 {document_sha256(document)}"
    properties.identifier = document_sha256(document)[:32]
    properties.keywords = ""
    properties.subject = ""
    properties.category = ""
    properties.content_status = ""
    properties.language = words.language
    properties.version = ""
    doc.add_heading(_title(document, words), level=0)
    doc.add_paragraph(f"{words['frozen']} {display.moment(frozen)}")
    progress(30)
    for block in blocks(document, words):
        doc.add_heading(block.title, level=1)
        doc.add_paragraph(f"{words['owner']}：{block.owner} · {words['state']}：{block.state}"
                          if not words.english else
                          f"{words['owner']}: {block.owner} · {words['state']}: {block.state}")  # fmt: skip
        _docx_content(doc, block)
        for sub in block.subsections:
            doc.add_heading(sub.title, level=2)
            _docx_content(doc, sub)
    progress(70)
    buffer = io.BytesIO()
    doc.save(buffer)
    return _stable_zip(buffer.getvalue(), naive)


def _docx_content(doc, block: Block) -> None:
    for paragraph in block.paragraphs:
        doc.add_paragraph(paragraph)
    for table in block.tables:
        grid = doc.add_table(rows=1, cols=len(table.headings))
        grid.style = "Table Grid"
        for cell, heading in zip(grid.rows[0].cells, table.headings, strict=True):
            cell.text = heading
        for row in table.rows:
            cells = grid.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                cell.text = cell_text(value)


# --- PDF -----------------------------------------------------------------------------------------


def document_sha256(document: dict) -> str:
    from reports.services import canonical_sha256

    return canonical_sha256(document)


def pdf_html(document: dict, *, language: str) -> str:
    from reports.rendering import css_string

    words = Words(language)
    frozen = _frozen(document)
    rendered = []
    for block in blocks(document, words):
        rendered.append(_html_block(block))
    return render_to_string(
        "pilot/report_pdf.html",
        {
            "language": words.language,
            "title": _title(document, words),
            "frozen_text": f"{words['frozen']} {display.moment(frozen)}",
            "frozen_iso": frozen.isoformat(),
            "blocks": rendered,
            "owner_word": words["owner"],
            "state_word": words["state"],
            "css_header": css_string(_title(document, words)),
        },
    )


def _html_block(block: Block) -> dict:
    return {
        "title": block.title,
        "owner": block.owner,
        "state": block.state,
        "paragraphs": block.paragraphs,
        "tables": [
            {
                "headings": t.headings,
                "rows": [[(cell_text(v), isinstance(v, Num | int)) for v in row] for row in t.rows],
            }
            for t in block.tables
        ],
        "subsections": [_html_block(sub) for sub in block.subsections],
    }


def render_pdf(document: dict, *, language: str, progress: Progress) -> bytes:
    from weasyprint import HTML

    from reports.rendering import _data_uri_only_fetcher

    html = pdf_html(document, language=language)
    progress(40)
    rendered = HTML(string=html, url_fetcher=_data_uri_only_fetcher()).render()
    progress(75)
    identifier = hashlib.sha256(
        f"pilot|{document_sha256(document)}|{language}".encode()
    ).hexdigest()[:32]
    return rendered.write_pdf(pdf_identifier=identifier.encode())


# --- xlsx annex ----------------------------------------------------------------------------------


def render_xlsx(document: dict, *, language: str, progress: Progress) -> bytes:
    words = Words(language)
    frozen = _frozen(document)
    naive = frozen.replace(tzinfo=None)
    tables: dict[str, Table] = {}
    for block in blocks(document, words):
        for table in [*block.tables, *(t for sub in block.subsections for t in sub.tables)]:
            if table.name in tables:
                tables[table.name].rows.extend(table.rows)
            else:
                tables[table.name] = Table(table.name, table.headings, list(table.rows))
    output = io.BytesIO()
    workbook = inert_workbook(output)
    workbook.set_properties(
        {"title": _title(document, words), "author": "dezhou-carbon", "created": naive,
         "comments": f"SHA-256 {document_sha256(document)}"}
    )  # fmt: skip
    heading = workbook.add_format({"bold": True, "bg_color": "#E6F4EA", "border": 1})
    quoted = workbook.add_format({"quote_prefix": True})
    formats: dict[int, object] = {}
    for name in WORDS:
        if name not in tables:
            continue
        table = tables[name]
        sheet = workbook.add_worksheet(words[name][:31])
        title = _title(document, words)
        sheet.write_string(0, 0, title, quoted if needs_quoting(title) else None)
        sheet.write_string(1, 0, f"{words['frozen']} {display.moment(frozen)}")
        for col, text in enumerate(table.headings):
            sheet.write_string(3, col, text, heading)
            sheet.set_column(col, col, 16)
        for r, row in enumerate(table.rows, start=4):
            for col, value in enumerate(row):
                if isinstance(value, Num):
                    if value.value is None:
                        sheet.write_blank(r, col, None)
                    else:
                        places = 4 if value.percent else value.places
                        if places not in formats:
                            formats[places] = workbook.add_format(
                                {"num_format": "0" + ("." + "0" * places if places else "")}
                            )
                        sheet.write_number(r, col, float(value.value), formats[places])
                elif isinstance(value, int):
                    sheet.write_number(r, col, value)
                else:
                    text = "" if value is None else str(value)
                    sheet.write_string(r, col, text, quoted if needs_quoting(text) else None)
    progress(70)
    workbook.close()
    return _stable_zip(output.getvalue(), naive)


RENDERERS = {"docx": render_docx, "pdf": render_pdf, "xlsx": render_xlsx}


def render(document: dict, *, fmt: str, language: str, progress: Progress) -> bytes:
    return RENDERERS[fmt](document, language=language, progress=progress)
