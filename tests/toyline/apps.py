"""A toy service line that exists only in tests: errands run on the work engine.

It is installed by `tests.toyline.settings` alone; `tests/test_toy_service_line.py`
shows that this folder plus that one settings line give it navigation, an API,
permissions, pages, a place in the isolation matrix and a share of the demo.
"""

from django.apps import AppConfig


class ToyLineConfig(AppConfig):
    name = "tests.toyline"
    label = "toyline"
    verbose_name = "Errands (test-only service line)"

    def ready(self):
        from pydantic import BaseModel, Field

        from tercero.delivery.work.registry import WorkType, register_line
        from tercero.platform.catalogue import (
            Isolation,
            NavEntry,
            Offering,
            Permission,
            ServiceLine,
        )
        from tests.toyline import api, demo

        class ErrandPayload(BaseModel):
            errand: str = Field(min_length=1, max_length=200)

        register_line(
            ServiceLine(
                key="toyline",
                title="Errands",
                offers=(Offering("errands", "Errands"),),
                work_types=(
                    WorkType(
                        key="toyline.errand",
                        title="Errand",
                        payload_schema=ErrandPayload,
                        display_fields=(("errand", "Errand"),),
                    ),
                ),
                permissions=(Permission("errands:read", frozenset({"team_lead"}), "See errands"),),
                navigation=(NavEntry("Errands", "toyline:errands", "errands:read"),),
                api=api.router,
                urls="tests.toyline.urls",
                url_prefix="errands/",
                demo=demo.load,
                isolation=Isolation(
                    api_routes={"api/v1/errands/<item_id>": [("get", None)]},
                    page_routes={"errands/<int:item_id>/": [("get", None)]},
                    scoped_routes={"errands/": "lists the caller's reachable clients' errands"},
                ),
            )
        )
