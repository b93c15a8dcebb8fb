from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "tercero.governance.quality"
    label = "quality"
    verbose_name = "Quality assurance"

    def ready(self):
        from tercero.delivery.work.registry import register_line
        from tercero.governance.quality import (
            api,
            coaching,
            demo,
            events,
            isolation,
            reports,
            sampler,
            tasks,
            worktypes,
        )
        from tercero.platform.catalogue import NavEntry, Permission, ServiceLine
        from tercero.platform.identity.roles import Role
        from tercero.platform.ops.scheduler import PeriodicJob

        register_line(
            ServiceLine(
                key="quality",
                title="Quality assurance",
                work_types=(worktypes.EVALUATION,),
                events=events.EVENTS,
                permissions=(
                    Permission(
                        "quality:evaluate",
                        frozenset({Role.QA_ANALYST, Role.TEAM_LEAD}),
                        "Take and score quality evaluations",
                    ),
                    Permission(
                        "quality:manage",
                        frozenset({Role.DELIVERY_MANAGER, Role.PROVIDER_ADMIN}),
                        "Write scorecards and sampling rules",
                    ),
                    Permission(
                        "quality:decide",
                        frozenset({Role.TEAM_LEAD, Role.DELIVERY_MANAGER}),
                        "Decide agents' disputes of evaluations and follow up coaching",
                    ),
                    Permission(
                        "quality:read",
                        frozenset(
                            {
                                Role.AGENT,
                                Role.TEAM_LEAD,
                                Role.QA_ANALYST,
                                Role.DELIVERY_MANAGER,
                                Role.AUDITOR,
                            }
                        ),
                        "See evaluations: an agent their own, a team lead their team's",
                    ),
                ),
                navigation=(
                    NavEntry("Quality workspace", "quality:workspace", "quality:evaluate"),
                    NavEntry("My quality results", "quality:results", "quality:read"),
                    NavEntry("Disputes", "quality:disputes", "quality:decide"),
                    NavEntry("Coaching", "quality:coaching", "quality:decide"),
                    NavEntry("Scorecards", "quality:scorecards", "quality:manage"),
                    NavEntry("Calibration", "quality:calibration", "quality:evaluate"),
                    NavEntry("Batch acceptance", "quality:lots", "quality:evaluate"),
                    NavEntry("Quality report", "quality:report", "quality:manage"),
                ),
                api=api.router,
                urls="tercero.governance.quality.urls",
                url_prefix="quality/",
                consumers=(sampler.CONSUMER, coaching.CONSUMER),
                jobs=(PeriodicJob("quality_top_up", 3600, tasks.top_up_samples),),
                demo=demo.load,
                isolation=isolation.ISOLATION,
                sla_figures=reports.sla_figures,
            )
        )
