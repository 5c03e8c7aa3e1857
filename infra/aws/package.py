"""Package one Chalice app for deployment: `python infra/aws/package.py publishing OUT_DIR`.

The app folder is copied to .hiroba/build/<app>/, the shared libraries (hiroba_core,
hiroba_web) are copied into its vendor/ (never committed) with the data hiroba_core reads
(the procedure catalogue, content/registry/procedures.toml with dantai.toml and
departments.toml it is checked against -> hiroba_core/data/; the IPAex Gothic font issued
documents embed, from Debian's fonts-ipaexfont-gothic, with its licence) and the theme the
apps render their pages with (theme/templates, and theme/translations compiled to .mo
files), its IAM
policy and its stage settings (throttling) are written from infra/aws/template.py, and
`chalice package --stage prod` writes a SAM template and a deployment zip into OUT_DIR.
boto3 comes from the Lambda runtime and is not bundled.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
SHARED = ("hiroba_core", "hiroba_web")
APPS = ("publishing", "procedures", "console")
# data files the shared library reads at run time: repository path -> path in the build
DATA = {
    f"content/registry/{name}": f"vendor/hiroba_core/data/{name}"
    for name in ("procedures.toml", "dantai.toml", "departments.toml")
}

# the font of issued documents (IPA Font License v1.0: redistribution allowed with the licence)
FONT = {
    Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"): "ipaexg.ttf",
    Path("/usr/share/doc/fonts-ipaexfont-gothic/copyright"): "IPA_Font_License.txt",
}


def prepare(app, build_root=None):
    """The app's build folder with vendor/ and its policy; returns its path."""
    from infra.aws.template import policy, stage_settings

    build = Path(build_root or ROOT / ".hiroba" / "build") / app
    shutil.rmtree(build, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "vendor", "deployments")
    shutil.copytree(FUNCTIONS / app, build, ignore=ignore)
    for name in SHARED:
        shutil.copytree(FUNCTIONS / name, build / "vendor" / name, ignore=ignore)
    for source, target in DATA.items():
        (build / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / source, build / target)
    copy_theme(build / "vendor" / "theme")
    if app == "procedures":  # the app that renders documents (hiroba_core.signatures)
        fonts = build / "vendor" / "hiroba_core" / "data" / "fonts"
        fonts.mkdir(parents=True, exist_ok=True)
        for source, name in FONT.items():
            shutil.copyfile(source, fonts / name)
    policy_file = build / ".chalice" / f"policy-{app}.json"
    policy_file.write_text(json.dumps(policy(app), indent=2) + "\n", "utf-8")
    stage_file = build / ".chalice" / "stage-settings.json"
    stage_file.write_text(json.dumps(stage_settings(app), indent=2) + "\n", "utf-8")
    return build


def copy_theme(target):
    """theme/templates as they are, and every UI catalog compiled (the Lambda has no Babel):
    hiroba_web.templates finds them beside hiroba_web/."""
    from hiroba_core.languages import LANGUAGES
    from hiroba_core.theme import catalog_dir, compile_po

    shutil.copytree(ROOT / "theme" / "templates", target / "templates")
    for language in LANGUAGES:
        folder = Path("translations") / catalog_dir(language) / "LC_MESSAGES"
        po = ROOT / "theme" / folder / "messages.po"
        if po.is_file():
            (target / folder).mkdir(parents=True, exist_ok=True)
            (target / folder / "messages.mo").write_bytes(compile_po(po, catalog_dir(language)))


def package(app, out, build_root=None):
    build = prepare(app, build_root)
    out = Path(out).resolve()
    shutil.rmtree(out, ignore_errors=True)
    command = [
        sys.executable,
        "-c",
        "import sys; from chalice.cli import main; sys.exit(main())",
        "package",
        "--stage",
        "prod",
        "--merge-template",
        str(build / ".chalice" / "stage-settings.json"),
        str(out),
    ]
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "ap-northeast-1"),
        # chalice package imports app.py with the prod stage's variables to find the
        # routes; the production secrets are read by the function at cold start, not here
        "HIROBA_PACKAGING": "1",
    }
    subprocess.run(command, cwd=build, env=env, check=True)
    return out / "deployment.zip"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app", choices=APPS)
    parser.add_argument("out")
    args = parser.parse_args()
    print(package(args.app, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
