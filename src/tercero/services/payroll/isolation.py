"""Where the payroll line's routes stand in the isolation matrix (tests/test_isolation_matrix.py):
routes taking another client's object id, with the requests an outsider tries (each must
answer 404 and change nothing), and routes without one, with why they cannot leak."""

from tercero.platform.catalogue import Isolation

ISOLATION = Isolation(
    api_routes={
        "api/v1/payroll/runs/<run_id>": [("get", None)],
        "api/v1/payroll/runs/<run_id>/inputs": [("post", None)],
        "api/v1/payroll/runs/<run_id>/actions": [("post", {"action": "submit", "version": 1})],
        "api/v1/payroll/runs/<run_id>/results": [("get", None)],
        "api/v1/payroll/runs/<run_id>/reconciliation": [("get", None)],
        "api/v1/payroll/runs/<run_id>/files/<kind>": [("get", None)],
        "api/v1/payroll/runs/<run_id>/payslips/<employee_id>": [("get", None)],
        "api/v1/payroll/employees/<employee_id>": [("get", None)],
        "api/v1/payroll/employees/<employee_id>/employments": [("get", None)],
        "api/v1/payroll/pay-groups/<pay_group_id>": [
            ("get", None),
            ("patch", {"version": 1, "changes": {"name": "x"}}),
        ],
        "api/v1/payroll/pay-groups/<pay_group_id>/calendar": [("get", None)],
        "api/v1/payroll/pay-groups/<pay_group_id>/rule-versions": [("get", None)],
        "api/v1/payroll/pay-groups/<pay_group_id>/rule-versions/<number>/restore": [
            ("post", {"version": 1, "note": "x"})
        ],
        "api/v1/payroll/employees/<employee_id>/w4": [
            ("get", None),
            ("put", {"received_on": "2026-01-05", "filing_status": "single"}),
        ],
        "api/v1/payroll/pay-groups/<pay_group_id>/tax-forms": [("get", None)],
        "api/v1/payroll/pay-groups/<pay_group_id>/tax-forms.csv": [("get", None)],
        "api/v1/payroll/hr-events/<hr_item_id>": [("get", None)],
        "api/v1/payroll/hr-events/<hr_item_id>/actions": [("post", {"action": "apply"})],
        "api/v1/payroll/runs/<run_id>/rti": [("get", None)],
        "api/v1/payroll/runs/<run_id>/rti/fps.xml": [("get", None)],
        "api/v1/payroll/runs/<run_id>/rti/submit": [("post", None)],
        "api/v1/payroll/pay-groups/<pay_group_id>/rti": [("get", None)],
        "api/v1/payroll/pay-groups/<pay_group_id>/rti/eps": [
            ("post", {"tax_year": "2025-26", "month_from": 1, "month_to": 1})
        ],
        "api/v1/payroll/pay-groups/<pay_group_id>/rti/eps-recovery.xml": [("get", None)],
        "api/v1/payroll/pay-groups/<pay_group_id>/rti/eps-recovery": [
            ("post", {"tax_year": "2026-27", "month": 2})
        ],
        "api/v1/payroll/pay-groups/<pay_group_id>/paye-reference": [
            (
                "put",
                {
                    "paye_reference": "123/AB45678",
                    "accounts_office_reference": "123PA00045678",
                    "is_small_employer": True,
                },
            )
        ],
        "api/v1/payroll/employees/<employee_id>/hmrc-gender": [("put", {"gender": "F"})],
        "api/v1/payroll/employees/<employee_id>/absences": [
            ("get", None),
            (
                "post",
                {
                    "kind": "sickness",
                    "start": "2026-06-01",
                    "end": "2026-06-05",
                    "average_weekly_earnings_minor": 50000,
                },
            ),
        ],
        "api/v1/payroll/absences/<absence_id>": [
            ("patch", {"version": 1, "changes": {"end": "2026-06-04"}}),
        ],
        "api/v1/payroll/employees/<employee_id>/p45": [("get", None)],
        "api/v1/payroll/employees/<employee_id>/p60": [("get", None)],
        "api/v1/payroll/pay-groups/<pay_group_id>/p60s.csv": [("get", None)],
    },
    page_routes={
        "payroll/runs/<int:run_id>/": [("get", None)],
        "payroll/runs/<int:run_id>/inputs/": [("post", None)],
        "payroll/runs/<int:run_id>/action/": [("post", {"action": "submit", "version": "1"})],
        "payroll/runs/<int:run_id>/register.csv": [("get", None)],
        "payroll/runs/<int:run_id>/journal.csv": [("get", None)],
        "payroll/runs/<int:run_id>/bank-file": [("get", None)],
        "payroll/runs/<int:run_id>/payslips/<int:employee_id>.pdf": [("get", None)],
        "payroll/items/<int:item_id>/panel/": [("get", None)],
        "payroll/employees/<int:employee_id>/": [("get", None)],
        "payroll/groups/<int:pay_group_id>/": [("get", None)],
        "payroll/groups/<int:pay_group_id>/edit/": [("post", {"version": "1", "name": "x"})],
        "payroll/groups/<int:pay_group_id>/rules/": [
            ("get", None),
            ("post", {"version": "1", "rows": "0", "note": "x"}),
        ],
        "payroll/groups/<int:pay_group_id>/tax-forms/": [("get", None)],
        "payroll/groups/<int:pay_group_id>/tax-forms.csv": [("get", None)],
        "payroll/groups/<int:pay_group_id>/rules/<int:number>/": [("get", None)],
        "payroll/groups/<int:pay_group_id>/rules/<int:number>/restore/": [
            ("post", {"version": "1", "note": "x"})
        ],
        "payroll/items/<int:hr_item_id>/hr/": [("get", None)],
        "payroll/items/<int:hr_item_id>/hr/apply/": [("post", None)],
        "payroll/items/<int:hr_item_id>/hr/verify/": [("post", {"version": "1"})],
        "payroll/items/<int:hr_item_id>/hr/undo/": [("post", {"version": "1", "reason": "x"})],
        "payroll/runs/<int:run_id>/rti/": [("get", None)],
        "payroll/runs/<int:run_id>/rti/fps.xml": [("get", None)],
        "payroll/runs/<int:run_id>/rti/send/": [("post", {"confirm": "yes"})],
        "payroll/groups/<int:pay_group_id>/rti/paye/": [
            (
                "post",
                {
                    "paye_reference": "123/AB45678",
                    "accounts_office_reference": "123PA00045678",
                    "is_small_employer": "yes",
                },
            )
        ],
        "payroll/groups/<int:pay_group_id>/rti/eps/": [
            ("post", {"tax_year": "2025-26", "month_from": "1", "month_to": "1", "confirm": "yes"}),
            (
                "post",
                {"kind": "recovery", "tax_year": "2026-27", "month": "2", "confirm": "yes"},
            ),
        ],
        "payroll/groups/<int:pay_group_id>/p60s.csv": [("get", None)],
        "payroll/employees/<int:employee_id>/hmrc-gender/": [("post", {"gender": "F"})],
        "payroll/employees/<int:employee_id>/absences/": [
            ("post", {"kind": "sickness", "start": "2026-07-01", "earnings": "500.00"})
        ],
        "payroll/absences/<int:absence_id>/correct/": [
            ("post", {"version": "1", "start": "2026-06-01", "end": "2026-06-04"})
        ],
        "payroll/employees/<int:employee_id>/p45.pdf": [("get", None)],
        "payroll/employees/<int:employee_id>/p45.csv": [("get", None)],
        "payroll/employees/<int:employee_id>/p60.pdf": [("get", None)],
        "payroll/employees/<int:employee_id>/p60.csv": [("get", None)],
    },
    scoped_routes={
        "payroll/runs/": "list filtered to reachable clients; pay groups offered from them only",
        "payroll/runs/new/": "pay group looked up among reachable clients (another's: refused)",
        "payroll/employees/": "list filtered to reachable clients",
        "api/v1/payroll/runs": "list filtered to reachable clients; POST looks the pay group up "
        "among them (another client's: 404)",
        "api/v1/payroll/employees": "list filtered to reachable clients, masked",
        "api/v1/payroll/hr-events": "list filtered to reachable clients",
        "api/v1/payroll/pay-groups": "list filtered to reachable clients; POST looks the "
        "engagement up among them (another client's: 404)",
        "payroll/groups/": "list filtered to reachable clients; engagements offered from them only",
        "payroll/groups/new/": "engagement looked up among reachable clients (another's: refused)",
        "payroll/hr/": "list and waiting requests filtered to reachable clients",
    },
)
