from typing import Any

from django import forms

from work.models import TaskStatus

from . import readers
from .mapping import NEW_GOAL, NO_GOAL, Mapping
from .services import MAX_FILE_BYTES


class UploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text=f"CSV, TSV or JSON, up to {MAX_FILE_BYTES // 1024 // 1024} MB and 100,000 rows.",
    )
    format = forms.ChoiceField(
        label="Format",
        required=False,
        help_text="Found from the file's columns unless you choose one.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["format"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Find it from the file")] + [
            (name, reader.label) for name, reader in readers.READERS.items()
        ]


class MappingForm(forms.Form):
    """The dry run's mapping, one field per grouping, status and person the file names (by
    position: their names are the tool's and may hold any character)."""

    default_estimate = forms.IntegerField(
        label="Points for work without an estimate", min_value=0, max_value=100
    )

    def __init__(
        self,
        *args: Any,
        plan: dict[str, Any],
        mapping: Mapping,
        goals: list[tuple[int, str]],
        members: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.fields["default_estimate"].initial = mapping.default_estimate
        goal_choices = [(NO_GOAL, "No goal (orphaned)"), (NEW_GOAL, "A new draft goal")] + [
            (f"G-{number}", f"G-{number} {title}") for number, title in goals
        ]
        self.goal_choices = goal_choices
        self.member_choices = [("", "Unassigned")] + [(str(pk), name) for pk, name in members]
        self.groups = plan.get("groups", [])
        self.statuses = plan.get("statuses", [])
        self.people = plan.get("people", [])
        for i, group in enumerate(self.groups):
            self.fields[f"group-{i}"] = forms.ChoiceField(
                choices=goal_choices,
                initial=mapping.groups.get(group["key"], NO_GOAL),
                label=group["title"] or group["key"],
            )
        for i, status in enumerate(self.statuses):
            self.fields[f"status-{i}"] = forms.ChoiceField(
                choices=TaskStatus.choices,
                initial=mapping.statuses.get(status["name"], TaskStatus.TODO),
                label=status["name"] or "(no status)",
            )
        for i, person in enumerate(self.people):
            member = mapping.people.get(person["name"])
            self.fields[f"person-{i}"] = forms.ChoiceField(
                choices=self.member_choices,
                initial="" if member is None else str(member),
                required=False,
                label=person["name"],
            )

    def _rows(self, kind: str, items: list[Any]) -> list[tuple[dict[str, Any], forms.BoundField]]:
        return [(item, self[f"{kind}-{i}"]) for i, item in enumerate(items)]

    @property
    def group_rows(self) -> list[tuple[dict[str, Any], forms.BoundField]]:
        return self._rows("group", self.groups)

    @property
    def status_rows(self) -> list[tuple[dict[str, Any], forms.BoundField]]:
        return self._rows("status", self.statuses)

    @property
    def person_rows(self) -> list[tuple[dict[str, Any], forms.BoundField]]:
        return self._rows("person", self.people)

    def mapping(self) -> Mapping:
        data = self.cleaned_data
        return Mapping(
            groups={g["key"]: data[f"group-{i}"] for i, g in enumerate(self.groups)},
            statuses={s["name"]: data[f"status-{i}"] for i, s in enumerate(self.statuses)},
            people={
                p["name"]: int(data[f"person-{i}"]) if data[f"person-{i}"] else None
                for i, p in enumerate(self.people)
            },
            default_estimate=data["default_estimate"],
        )
