"""`make translations`: the usual Babel workflow for the theme's UI strings.

    python -m infra.i18n.catalogs extract   # pybabel extract + the registries' names
    python -m infra.i18n.catalogs update    # pybabel update (init for a new language)
    python -m infra.i18n.catalogs compile   # pybabel compile --statistics (a check; the
                                            # build compiles the .po files in memory)
    python -m infra.i18n.catalogs check     # every configured language complete, no fuzzy

The names of departments, categories and tags live in content/registry/*.toml and the
emergency severities in the emergency plugin; extract adds them to the template.
"""

import subprocess
import sys
import tomllib
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "theme" / "translations"
TEMPLATE = FOLDER / "messages.pot"


def configured_languages():
    from pelican.settings import read_settings

    from hiroba_core.theme import catalog_dir
    from plugins.multilingual.multilingual import languages

    settings = read_settings(str(ROOT / "pelicanconf.py"))
    return [
        (language.code, catalog_dir(language))
        for language in languages(settings)
        if language.code != settings["DEFAULT_LANG"]
    ]


def registry_strings():
    from plugins.emergency.emergency import SEVERITY_LABELS

    registry = ROOT / "content" / "registry"
    departments = tomllib.loads((registry / "departments.toml").read_text("utf-8"))
    taxonomy = tomllib.loads((registry / "taxonomy.toml").read_text("utf-8"))
    strings = []
    for row in departments.values():
        strings += [
            row[field] for field in ("name", "address", "hours", "phone_note") if field in row
        ]
    strings += list(taxonomy["categories"]) + list(taxonomy["tags"])
    strings += list(SEVERITY_LABELS.values())
    return strings


def pybabel(*args):
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT, check=True)


def extract(target=TEMPLATE):
    pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_",
        "--no-location",
        "--sort-output",
        "--omit-header",
        "--ignore-dirs",
        ".* _* node_modules output bench tests content",
        "-o",
        str(target),
        ".",
    )
    with target.open("rb") as handle:
        catalog = read_po(handle)
    for text in registry_strings():
        if text not in catalog:
            catalog.add(text)
    with target.open("wb") as handle:
        write_po(handle, catalog, omit_header=True, sort_output=True, no_location=True)


def update():
    for _code, folder in configured_languages():
        po = FOLDER / folder / "LC_MESSAGES" / "messages.po"
        if po.is_file():
            pybabel(
                "update",
                "-i",
                str(TEMPLATE),
                "-d",
                str(FOLDER),
                "-l",
                folder,
                "--no-fuzzy-matching",
                "--ignore-obsolete",
            )
        else:
            pybabel("init", "-i", str(TEMPLATE), "-d", str(FOLDER), "-l", folder)


def compile_catalogs():
    pybabel("compile", "-d", str(FOLDER), "--statistics")


def problems():
    """Missing or fuzzy entries, per configured language, against the template."""
    with TEMPLATE.open("rb") as handle:
        wanted = {m.id for m in read_po(handle) if m.id}
    found = {}
    for code, folder in configured_languages():
        po = FOLDER / folder / "LC_MESSAGES" / "messages.po"
        if not po.is_file():
            found[code] = [f"no catalog at {po.relative_to(ROOT)}"]
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle)
        issues = [
            f"missing: {m}" for m in sorted(wanted) if m not in catalog or not catalog[m].string
        ]
        issues += [f"fuzzy: {m.id}" for m in catalog if m.id and m.fuzzy]
        if issues:
            found[code] = issues
    return found


def main(argv):
    command = argv[1] if len(argv) > 1 else "check"
    if command == "extract":
        extract()
    elif command == "update":
        update()
    elif command == "compile":
        compile_catalogs()
    elif command == "check":
        found = problems()
        for code, issues in found.items():
            print(f"{code}: {len(issues)} problem(s); first: {issues[0]}")
        return 1 if found else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
