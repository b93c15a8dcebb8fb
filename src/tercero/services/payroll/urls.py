"""Payroll pages, mounted at /payroll/."""

from django.urls import path

from tercero.services.payroll.views import absences, groups, hr, rti, rules, runs, us_forms

app_name = "payroll"

urlpatterns = [
    path("runs/", runs.run_list, name="runs"),
    path("runs/new/", runs.run_new, name="run_new"),
    path("runs/<int:run_id>/", runs.run_page, name="run"),
    path("runs/<int:run_id>/inputs/", runs.run_inputs, name="run_inputs"),
    path("runs/<int:run_id>/action/", runs.run_action, name="run_action"),
    path(
        "runs/<int:run_id>/register.csv", runs.run_download, {"kind": "register"}, name="register"
    ),
    path("runs/<int:run_id>/journal.csv", runs.run_download, {"kind": "journal"}, name="journal"),
    path("runs/<int:run_id>/bank-file", runs.run_download, {"kind": "bank"}, name="bank_file"),
    path("runs/<int:run_id>/payslips/<int:employee_id>.pdf", runs.payslip, name="payslip"),
    path("items/<int:item_id>/panel/", runs.run_panel, name="run-panel"),
    path("runs/<int:run_id>/rti/", rti.run_rti, name="rti"),
    path("runs/<int:run_id>/rti/fps.xml", rti.run_fps_xml, name="rti_fps_xml"),
    path("runs/<int:run_id>/rti/send/", rti.run_fps_send, name="rti_send"),
    path("groups/<int:pay_group_id>/rti/paye/", rti.group_paye, name="group_paye"),
    path("groups/<int:pay_group_id>/rti/eps/", rti.group_eps, name="group_eps"),
    path("groups/<int:pay_group_id>/p60s.csv", rti.group_p60s, name="group_p60s"),
    path("employees/<int:employee_id>/hmrc-gender/", rti.employee_gender, name="hmrc_gender"),
    path("employees/<int:employee_id>/p45.pdf", rti.employee_p45, {"kind": "pdf"}, name="p45_pdf"),
    path("employees/<int:employee_id>/p45.csv", rti.employee_p45, {"kind": "csv"}, name="p45_csv"),
    path("employees/<int:employee_id>/p60.pdf", rti.employee_p60, {"kind": "pdf"}, name="p60_pdf"),
    path("employees/<int:employee_id>/p60.csv", rti.employee_p60, {"kind": "csv"}, name="p60_csv"),
    path("employees/", runs.employee_list, name="employees"),
    path("groups/", groups.group_list, name="groups"),
    path("groups/new/", groups.group_new, name="group_new"),
    path("groups/<int:pay_group_id>/", groups.group_page, name="group"),
    path("groups/<int:pay_group_id>/edit/", groups.group_edit, name="group_edit"),
    path("groups/<int:pay_group_id>/tax-forms/", us_forms.us_forms_page, name="us_forms"),
    path("groups/<int:pay_group_id>/tax-forms.csv", us_forms.us_forms_csv, name="us_forms_csv"),
    path("groups/<int:pay_group_id>/rules/", rules.rules_edit, name="rules_edit"),
    path("groups/<int:pay_group_id>/rules/<int:number>/", rules.rule_version, name="rule_version"),
    path(
        "groups/<int:pay_group_id>/rules/<int:number>/restore/",
        rules.rules_restore,
        name="rules_restore",
    ),
    path("employees/<int:employee_id>/", hr.employee_page, name="employee"),
    path("employees/<int:employee_id>/absences/", absences.absence_record, name="absence_record"),
    path("absences/<int:absence_id>/correct/", absences.absence_correct, name="absence_correct"),
    path("hr/", hr.change_list, name="hr_changes"),
    path("items/<int:hr_item_id>/hr/", hr.hr_panel, name="hr-panel"),
    path("items/<int:hr_item_id>/hr/apply/", hr.hr_action, {"action": "apply"}, name="hr_apply"),
    path("items/<int:hr_item_id>/hr/verify/", hr.hr_action, {"action": "verify"}, name="hr_verify"),
    path("items/<int:hr_item_id>/hr/undo/", hr.hr_action, {"action": "undo"}, name="hr_undo"),
]
