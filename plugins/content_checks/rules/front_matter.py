"""Front matter: the fields of the content model, each value in its registry or format, and
one URL per file."""

from hiroba_core.content import model

from ..sources import Violation
from .rule import Rule


class UnknownField(Rule):
    id = "unknown-field"
    description = "front matter key that the content model does not know"

    def check_source(self, source, site):
        for key in source.front.values:
            if key not in model.FIELDS:
                known = ", ".join(sorted(model.FIELDS))
                yield source.at(
                    source.front.lines[key],
                    f"未知の項目「{key}」です（使える項目: {known}）",
                    self.id,
                )


class MissingField(Rule):
    id = "missing-field"
    description = "required front matter key missing"

    def check_source(self, source, site):
        values = source.front.values
        required = list(model.REQUIRED[source.kind])
        if source.section == "media":
            required += ["video", "captions"]
        if source.section == "municipalities" and "save_as" not in values:
            required.append("kana")
        for key in required:
            if not values.get(key):
                yield source.at(
                    1, f"必須項目「{key.capitalize()}」（{model.FIELDS[key]}）がありません", self.id
                )


class BadDate(Rule):
    id = "bad-date"
    description = "date that cannot be read, or expires before it is published"

    def check_source(self, source, site):
        values, front = source.front.values, source.front
        for key in model.DATE_FIELDS:
            if values.get(key):
                try:
                    model.parse_datetime(values[key])
                except model.BadDate as error:
                    yield source.at(front.lines[key], str(error), self.id)
        try:
            window = model.window_of(values)
            if window.publish_at and window.expires_at and window.expires_at <= window.publish_at:
                yield source.at(
                    front.lines["expires_at"], "Expires_at が Publish_at より前です", self.id
                )
        except model.BadDate:
            pass  # reported above


class BadValue(Rule):
    id = "bad-value"
    description = "value outside its registry or format (slug, department, category, tag, ...)"

    def check_source(self, source, site):
        for key, message in self.problems(source.front.values, site):
            yield source.at(source.line_of(key), message, self.id)

    def problems(self, values, site):
        """(field, message) of each value the site cannot use."""
        if values.get("slug") and not model.SLUG_RE.match(values["slug"]):
            yield "slug", f"Slug「{values['slug']}」は英小文字・数字・ハイフンで書いてください"
        if values.get("status") and values["status"] not in model.STATUSES:
            yield "status", f"Status は {', '.join(model.STATUSES)} のどれかです"
        if values.get("department") and values["department"] not in site.departments:
            yield (
                "department",
                f"担当課「{values['department']}」は registry/departments.toml にありません"
                f"（使える値: {', '.join(site.departments)}）",
            )
        if values.get("category") and values["category"] not in site.categories:
            yield (
                "category",
                f"分類「{values['category']}」は registry/taxonomy.toml にありません"
                f"（使える値: {'、'.join(site.categories)}）",
            )
        for tag in filter(None, (t.strip() for t in values.get("tags", "").split(","))):
            if tag not in site.tags:
                yield (
                    "tags",
                    f"タグ「{tag}」は registry/taxonomy.toml にありません"
                    f"（使える値: {'、'.join(site.tags)}）",
                )
        if values.get("lang") and values["lang"] not in site.languages:
            yield (
                "lang",
                f"言語「{values['lang']}」は設定にありません（{', '.join(site.languages)}）",
            )
        if values.get("kana") and not model.KANA_RE.match(values["kana"]):
            yield "kana", f"Kana「{values['kana']}」はひらがなで書いてください"
        if values.get("template") and values["template"] not in site.templates:
            yield "template", f"テンプレート「{values['template']}」はテーマにありません"
        if values.get("emergency"):
            if values["emergency"].lower() not in ("true", "false"):
                yield "emergency", "Emergency は true か false です"
            elif model.is_true(values["emergency"]):
                if values.get("severity") not in model.SEVERITIES:
                    given = (
                        f"「{values['severity']}」は使えません" if values.get("severity") else ""
                    )
                    yield (
                        "severity",
                        f"緊急情報には Severity（{', '.join(model.SEVERITIES)}）が必要です{given}",
                    )
                if not values.get("area"):
                    yield "emergency", "緊急情報には Area（対象地域）が必要です"
        for key in ("video", "captions", "poster"):
            if values.get(key):
                media = site.content_root / "media" / "files" / values[key]
                if not media.is_file():
                    yield key, f"ファイル content/media/files/{values[key]} がありません"
        if values.get("captions") and not values["captions"].endswith(".vtt"):
            yield "captions", "字幕は WebVTT（.vtt）で用意してください"
        if model.is_consultation(values):
            try:
                model.consultation_of(values)
            except model.BadConsultation as error:
                key = next(
                    (
                        k
                        for k in ("questions", "personal_fields", "kind")
                        if k in str(error).lower()
                    ),
                    "opens_at",
                )
                yield key, str(error)
            except model.BadDate:
                pass  # reported by BadDate


class DuplicateSlug(Rule):
    id = "duplicate-slug"
    description = "two files with the same URL"

    def check_sources(self, sources, site):
        seen = {}
        for source in sources:
            values = source.front.values
            if not values.get("slug"):
                continue
            key = values.get("save_as") or (
                source.section,
                values["slug"],
                values.get("lang", site.languages[0]),
            )
            if key in seen:
                yield source.at(
                    source.line_of("slug"),
                    f"Slug「{values['slug']}」は {seen[key].shown} と同じです（同じURLになります）",
                    self.id,
                )
            else:
                seen[key] = source


class DuplicateOutput(Rule):
    id = "duplicate-output"
    description = "two things written to the same output file"

    def check_sources(self, sources, site):
        by_relpath = {source.relpath: source for source in sources}
        for save_as, count in sorted(site.outputs.items()):
            if count > 1:
                owner = by_relpath.get(site.output_owner.get(save_as))
                if owner is not None:
                    yield owner.at(
                        owner.line_of("slug"),
                        f"出力先 {save_as} に {count} 個のページが書き込まれます",
                        self.id,
                    )
                else:
                    yield Violation(
                        str(site.content_root), 1, f"出力先 {save_as} が重複しています", self.id
                    )
