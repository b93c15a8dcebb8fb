from django.apps import AppConfig


class CaptureConfig(AppConfig):
    name = "tercero.services.capture"
    label = "capture"
    verbose_name = "Data capture"

    def ready(self):
        from tercero.delivery.work.registry import register_line
        from tercero.platform.catalogue import Offering, ServiceLine
        from tercero.services.capture import demo, events, worktypes

        register_line(
            ServiceLine(
                key="capture",
                title="Data entry and processing",
                offers=(
                    Offering("data_entry", "Data entry"),
                    Offering("data_processing", "Data processing"),
                ),
                work_types=(worktypes.DOCUMENT,),
                events=events.EVENTS,
                demo=demo.load,
            )
        )
