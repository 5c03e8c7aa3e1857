"""多言語化のルール: a notice of a mandatory category exists in every mandatory language."""

from pathlib import Path

from hiroba_core.content import model

from .rule import Rule


class MissingTranslation(Rule):
    id = "missing-translation"
    description = "a page of a mandatory category missing in a mandatory language"

    def check_sources(self, sources, site):
        present = {
            (s.front.values.get("translation_key") or s.front.values.get("slug"), s.lang)
            for s in sources
        }
        for source in sources:
            if source.lang != site.languages[0] or source.kind != "article":
                continue
            slug = site.categories.get(source.front.values.get("category", ""))
            required = site.mandatory.get(slug)
            if not required:
                continue
            wanted = site.languages[1:] if required == "all" else required
            key = source.front.values.get("translation_key") or source.front.values.get("slug")
            missing = [lang for lang in wanted if (key, lang) not in present]
            if missing:
                # an emergency never waits for its translations: each language shows the
                # Japanese text with a line saying the translation is being prepared
                urgent = model.is_true(source.front.values.get("emergency", ""))
                yield source.at(
                    source.line_of("category"),
                    f"分類「{source.front.values['category']}」は多言語化の必須分類です。"
                    f"翻訳（{', '.join(missing)}）がありません（{Path(source.relpath).stem}.<言語>.md）"
                    + (
                        "。緊急情報なので、翻訳を準備中と示して日本語で公開します" if urgent else ""
                    ),
                    self.id,
                    warning=urgent,
                )
