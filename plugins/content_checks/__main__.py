"""`make check`: read every content file and run the checks, writing nothing.

python -m plugins.content_checks [pelicanconf.py] [--format text|github]

`--format github` prints each problem as a GitHub Actions annotation, so a pull request
shows it on the line it belongs to.
"""

import argparse
import sys

from pelican import Pelican
from pelican.plugins import signals
from pelican.settings import read_settings

from .content_checks import ContentCheckFailed, check_site


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m plugins.content_checks")
    parser.add_argument("settings", nargs="?", default="pelicanconf.py")
    parser.add_argument("--format", choices=("text", "github"), default="text")
    args = parser.parse_args(argv[1:])
    settings = read_settings(args.settings)
    settings["CONTENT_CHECKS_FORMAT"] = args.format
    pelican = Pelican(settings)  # loads the plugins (and checks the files), as a build does
    # The build runs the checks from all_generators_finalized; here we call them directly.
    signals.all_generators_finalized.disconnect(check_site)
    context = settings.copy()
    context.update(generated_content={}, static_links=set(), static_content={})
    context["localsiteurl"] = settings["SITEURL"]
    generators = [
        cls(
            context=context,
            settings=settings,
            path=pelican.path,
            theme=pelican.theme,
            output_path=pelican.output_path,
        )
        for cls in pelican._get_generator_classes()
    ]
    for generator in generators:
        if hasattr(generator, "generate_context"):
            generator.generate_context()
    try:
        sources = check_site(generators)
    except ContentCheckFailed as failure:
        return failure.code
    print(f"content checks: {len(sources)} files, no errors")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
