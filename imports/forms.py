"""The upload form and the column mapping form (built from the file's header and the values of its columns)."""

from __future__ import annotations

import hashlib

from django import forms
from django.utils.translation import gettext_lazy as _

from deals.models import Deal
from imports.mapping import DEAL_TARGETS, LINE_MODES, LINE_TARGETS, MappingConfig, suggest_stage

NOT_IMPORTED = _("（取り込まない）")


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CRMから書き出したファイル（.csv / .xlsx）"), allow_empty_file=True,
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}))


def value_field_name(prefix: str, value: str) -> str:
    return f"{prefix}_{hashlib.sha1(value.encode()).hexdigest()[:12]}"  # noqa: S324 - a field name, not security


class MappingForm(forms.Form):
    """Columns → fields, the CRM's フェーズ and 案件タイプ values → ours, the line mode, 連携元 and a name to save as."""

    source = forms.CharField(label=_("連携元"), max_length=64,
                             help_text=_("案件の連携元として保存されます（例: salesforce）。同じ連携元と外部IDの案件は更新されます。"))
    line_mode = forms.ChoiceField(label=_("行の扱い"), choices=LINE_MODES, widget=forms.RadioSelect)
    save_as = forms.CharField(label=_("このマッピングを名前を付けて保存"), max_length=100, required=False)

    def __init__(self, *args, header: list[str], config: MappingConfig, stage_values: list[str],
                 type_values: list[str], deal_types: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.stage_values, self.type_values = stage_values, type_values
        self.fields["source"].initial = config.source
        self.fields["line_mode"].initial = config.line_mode
        columns = [("", NOT_IMPORTED), *((h, h) for h in header)]
        for target, (label, _names) in {**DEAL_TARGETS, **LINE_TARGETS}.items():
            self.fields[f"col_{target}"] = forms.ChoiceField(label=label, choices=columns, required=False,
                                                             initial=config.columns.get(target, ""))
        stages = [("", _("（選んでください）")), *Deal.Stage.choices]
        for value in stage_values:
            self.fields[value_field_name("stage", value)] = forms.ChoiceField(
                label=value, choices=stages, required=False,
                initial=config.stage_values.get(value) or suggest_stage(value))
        types = [("", _("標準")), *((name, name) for name in deal_types if name != "標準")]
        for value in type_values:
            self.fields[value_field_name("type", value)] = forms.ChoiceField(
                label=value, choices=types, required=False,
                initial=config.type_values.get(value, value if value in deal_types else ""))

    def column_fields(self, group: dict):
        return [self[f"col_{target}"] for target in group]

    @property
    def deal_column_fields(self):
        return self.column_fields(DEAL_TARGETS)

    @property
    def line_column_fields(self):
        return self.column_fields(LINE_TARGETS)

    @property
    def stage_value_fields(self):
        return [self[value_field_name("stage", v)] for v in self.stage_values]

    @property
    def type_value_fields(self):
        return [self[value_field_name("type", v)] for v in self.type_values]

    def config(self) -> MappingConfig:
        data = self.cleaned_data
        targets = {**DEAL_TARGETS, **LINE_TARGETS}
        return MappingConfig(
            columns={t: data[f"col_{t}"] for t in targets if data.get(f"col_{t}")},
            stage_values={v: data[value_field_name("stage", v)] for v in self.stage_values
                          if data.get(value_field_name("stage", v))},
            type_values={v: data.get(value_field_name("type", v), "") for v in self.type_values},
            line_mode=data["line_mode"], source=data["source"].strip())


def columns_from_post(data, config: MappingConfig) -> MappingConfig:
    """The columns the user just chose (before the form exists): its value fields depend on them."""
    targets = {**DEAL_TARGETS, **LINE_TARGETS}
    columns = {t: data.get(f"col_{t}") for t in targets if data.get(f"col_{t}")}
    return MappingConfig(columns=columns, stage_values=config.stage_values, type_values=config.type_values,
                         line_mode=config.line_mode, source=config.source)
