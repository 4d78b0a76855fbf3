"""What each audit action is called, for people (pages, filters, exports): the trail
stores a code (`figure_enter`), people read 录入数据 / Entered figures. An action without a
label here is shown as its code, and tests/test_display.py fails for every code written by
the services that has none."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    # reporting: figures and the department's quarter
    "figure_enter": _("录入数据"),
    "figure_correct": _("更正数据"),
    "save": _("保存草稿"),
    "submit": _("提交"),
    "approve": _("审核通过"),
    "return": _("退回"),
    "unlock": _("限时解锁"),
    "round_open": _("开启填报轮次"),
    "round_close": _("结束填报轮次"),
    "work_calendar_record": _("维护工作日历"),
    "round_deadline_change": _("调整填报截止日期"),
    # imports and uploads
    "import": _("导入"),
    "import_rejected": _("导入被拒绝"),
    "undo": _("撤销导入"),
    "template_download": _("下载填报模板"),
    "upload_preview": _("上传预览"),
    "upload_confirm": _("确认上传"),
    "upload_rejected": _("上传被拒绝"),
    "import_file_refused": _("导入文件被拒绝"),
    # reference data
    "coefficient_revise": _("修订系数"),
    "method_setting_revise": _("修订计算口径"),
    "target_change": _("调整目标"),
    # the units' responsibility assessment
    "assessment_scheme_recorded": _("制定考核方案"),
    "assessment_frozen": _("冻结年度考核"),
    "assessment_explained": _("提交考核情况说明"),
    "assessment_adjusted": _("考核加减分"),
    "assessment_signed_off": _("审定年度考核"),
    "assessment_consequence": _("记录考核奖惩"),
    # product carbon footprints
    "footprint_study_created": _("新建碳足迹核算"),
    "footprint_study_submitted": _("提交碳足迹核算"),
    "footprint_study_approved": _("审核通过碳足迹核算"),
    "footprint_study_returned": _("退回碳足迹核算"),
    "footprint_study_recomputed": _("重新计算碳足迹"),
    "footprint_inventory_replaced": _("替换碳足迹清单"),
    "footprint_factor_revised": _("修订碳足迹因子"),
    "footprint_reference_recorded": _("登记碳足迹参考值"),
    "footprint_certificate_recorded": _("登记碳足迹证书"),
    "footprint_count_target_set": _("设定碳足迹核算数量目标"),
    # plan and warnings
    "work_item_update": _("更新工作事项"),
    "work_item_plan_set": _("设定工作事项计划"),
    "work_item_verify": _("核验工作事项"),
    "work_item_verification_return": _("退回工作事项核验"),
    "part_report_submit": _("报送分工进展"),
    "part_report_approve": _("审核通过分工进展"),
    "part_report_return": _("退回分工进展"),
    "part_report_cosign": _("会签分工进展"),
    "part_import_apply": _("导入分工进展"),
    "part_import_reject": _("拒绝分工进展导入文件"),
    "part_evidence_download": _("下载分工进展佐证"),
    "progress_report": _("报送进展"),
    "evidence_file_refused": _("佐证附件被拒绝"),
    "warning_raise": _("发出预警"),
    "warning_update": _("更新预警"),
    "warning_acknowledge": _("响应"),
    "warning_sign_off": _("负责人审签"),
    "warning_response_return": _("负责人退回响应"),
    "warning_evidence_attach": _("上传佐证材料"),
    "warning_evidence_download": _("下载佐证材料"),
    "warning_resolve": _("提交整改"),
    "warning_close": _("销号"),
    "warning_resolution_return": _("退回继续整改"),
    "warning_progress_report": _("报告整改进展"),
    "warning_escalate": _("督办"),
    # reports and the trail itself
    "report_request": _("申请报告"),
    "report_generate": _("生成报告"),
    "report_failed": _("报告生成失败"),
    "report_download": _("下载报告"),
    "report_snapshot": _("冻结报告数据"),
    "audit_export": _("导出审计记录"),
    # enterprises
    "enterprise_register": _("登记企业"),
    "enterprise_update": _("修改企业信息"),
    "enterprise_import": _("导入企业名录"),
    "enterprise_import_rejected": _("企业名录导入被拒绝"),
    "enterprise_access_refused": _("企业数据访问被拒绝"),
    "key_unit_designate": _("认定重点用能单位"),
    "key_unit_revoke": _("撤销重点用能单位认定"),
    "designation_suggest": _("提出重点用能单位认定建议"),
    "designation_suggestion_confirm": _("确认认定建议"),
    "designation_suggestion_dismiss": _("驳回认定建议"),
    "enterprise_measure_create": _("新增一企一策措施"),
    "enterprise_measure_progress": _("报告一企一策措施进展"),
    "enterprise_visit_record": _("记录现场监督"),
    "enterprise_certificate_record": _("记录企业认证或审核"),
    "enterprise_evidence_download": _("下载企业佐证材料"),
    "enterprise_quarter_correction_request": _("申请更正企业季度数据"),
    "enterprise_quarter_reopen": _("重新打开企业季度数据更正"),
    "enterprise_quarter_upload_preview": _("上传企业季度数据（预览）"),
    "enterprise_quarter_upload": _("确认上传企业季度数据"),
    "certificate_count_target_set": _("设定认证与审核数量目标"),
    "benchmark_record": _("录入能效标杆"),
    "product_output_record": _("录入产品产量"),
    "probe": _("后台任务自检"),
    # projects
    "project_registered": _("登记项目"),
    "project_edited": _("修改项目信息"),
    "project_stage_recorded": _("记录项目进度"),
    "energy_review_recorded": _("记录节能审查"),
    "carbon_assessment_recorded": _("记录碳排放评价"),
    "project_update_submit": _("报送项目季度进展"),
    "project_update_approve": _("审核项目季度进展"),
    "project_update_return": _("退回项目季度进展"),
    # energy budget
    "budget_drafted": _("编制用能预算"),
    "budget_approved": _("批准用能预算"),
    # people and sessions
    "login": _("登录"),
    "login_failed": _("登录失败"),
    "login_locked_out": _("登录被锁定"),
    "session_expired": _("会话过期"),
    "api_token_create": _("创建 API 令牌"),
    "api_token_revoke": _("吊销 API 令牌"),
    "api_token_renew": _("续期 API 令牌"),
    # the pilot's annual progress report, case library and public page
    "pilot_report_open": _("建立年度试点进展报告"),
    "pilot_section_save": _("编写报告章节"),
    "pilot_section_submit": _("提交报告章节"),
    "pilot_section_approve": _("审定报告章节"),
    "pilot_section_return": _("退回报告章节"),
    "pilot_report_freeze": _("试点进展报告定稿"),
    "pilot_export_request": _("申请导出试点进展报告"),
    "pilot_export_generate": _("生成试点进展报告文件"),
    "pilot_export_failed": _("试点进展报告文件生成失败"),
    "pilot_export_download": _("下载试点进展报告"),
    "assessment_export_request": _("申请导出责任单位考核结果"),
    "assessment_export_generate": _("生成责任单位考核结果文件"),
    "assessment_export_failed": _("责任单位考核结果文件生成失败"),
    "assessment_export_download": _("下载责任单位考核结果"),
    "pilot_report_submission": _("登记试点进展报告报送"),
    "pilot_feedback_record": _("登记评估反馈意见"),
    "pilot_case_create": _("推荐典型案例"),
    "pilot_case_evidence": _("上传案例佐证材料"),
    "pilot_case_evidence_download": _("下载案例佐证材料"),
    "pilot_case_status": _("变更典型案例状态"),
    "pilot_publish": _("公开发布"),
    "pilot_unpublish": _("取消公开发布"),
    "pilot_section_reassign": _("调整报告章节责任单位"),
}


def action_label(action: str) -> str:
    """录入数据 for `figure_enter`, in the active language; an unknown code as it is."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


def action_choices(actions) -> list[tuple[str, str]]:
    """(code, label) pairs for a filter's options, ordered by label."""
    return sorted(((code, action_label(code)) for code in actions), key=lambda pair: pair[1])
