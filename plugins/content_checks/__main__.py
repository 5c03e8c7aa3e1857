"""`make check`: read every content file and run the checks, writing nothing.

python -m plugins.content_checks [pelicanconf.py]
"""

import sys

from pelican import Pelican
from pelican.plugins import signals
from pelican.settings import read_settings

from .content_checks import ContentCheckFailed, check_site


def main(argv):
    settings = read_settings(argv[1] if len(argv) > 1 else "pelicanconf.py")
    pelican = Pelican(settings)  # loads the plugins, as a build does
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
