"""Each plugin reads its settings once, at `initialized`, through plugins/settings.py: the
defaults fill in what pelicanconf.py leaves out, and a bad value stops the build with one
line naming the setting, never a traceback."""

import importlib
import subprocess
import sys

import pytest
from pelican import Pelican
from pelican.settings import read_settings

from plugins import settings as plugin_settings
from plugins.multilingual import multilingual
from tests.conftest import ROOT

CONF = str(ROOT / "pelicanconf.py")

# (plugin, setting, a bad value, words the message must have)
BAD = [
    ("json_feed", "JSON_FEED_SAVE_AS", "/etc/notices.json", "サイト内の相対パス"),
    ("json_feed", "JSON_FEED_SECTION", "", "区分"),
    ("multilingual", "MULTILINGUAL_PER_PAGE", 0, "1 以上の整数"),
    ("multilingual", "MULTILINGUAL_MANDATORY", {"bousai": "every"}, "言語コードのリスト"),
    ("multilingual", "MULTILINGUAL_MANDATORY", {"bousai": ["xx"]}, "HIROBA_LANGUAGES"),
    ("emergency", "EMERGENCY_CAP_SAVE_AS", "emergency/cap.xml", "{identifier}"),
    ("emergency", "EMERGENCY_CAP_SENDER", "www pref", "ドメイン名"),
    ("mobile_site", "MOBILE_PAGE_BYTES", 100, "2048 以上"),
    ("mobile_site", "MOBILE_TOP_CATEGORIES", "bousai", "リスト"),
    ("newsletter", "NEWSLETTER_TEXT_COLUMNS", 20, "40 から 998"),
    ("newsletter", "NEWSLETTER_TOPICS", {"event": {"tags": ["存在しないタグ"]}}, "taxonomy"),
    ("web_editor", "WEB_EDITOR_REPO", "not a repo", "owner/name"),
    ("web_editor", "WEB_EDITOR_AUTH_BASE_URL", "http://x.example/oauth", "オリジン"),
    ("content_checks", "CONTENT_CHECKS_FORMAT", "xml", "text か github"),
    ("search_index", "SEARCH_INDEX", "yes", "bool"),
]


@pytest.fixture
def settings(tmp_path):
    """The site's settings over an empty content folder (the file checks have nothing to read)."""

    def made(**override):
        return read_settings(CONF, override={"PATH": str(tmp_path), **override})

    return made


@pytest.mark.parametrize(("plugin", "name", "value", "words"), BAD, ids=[b[1] for b in BAD])
def test_a_bad_setting_stops_the_build_with_a_clear_message(settings, plugin, name, value, words):
    assert name in importlib.import_module(f"plugins.{plugin}.{plugin}").SETTINGS
    with pytest.raises(SystemExit) as stopped:
        Pelican(settings(**{name: value}))
    message = str(stopped.value)
    assert name in message and words in message, message
    assert isinstance(stopped.value, plugin_settings.SettingError), type(stopped.value)


def test_a_bad_setting_on_the_command_line_stops_pelican_without_a_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pelican", "-s", CONF, "-o", str(tmp_path / "out")]
        + ["-e", "MULTILINGUAL_PER_PAGE=0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "MULTILINGUAL_PER_PAGE は1 以上の整数で指定してください（今の値: 0）" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()  # stopped before anything was written


def test_the_defaults_fill_the_build_settings_once_and_are_not_shared_between_builds(settings):
    first, second = settings(), settings()
    Pelican(first)
    Pelican(second)
    for key, value in (
        ("MOBILE_PER_PAGE", 10),
        ("MULTILINGUAL_PER_PAGE", 10),
        ("EMERGENCY_PAGE_URL", "emergency/"),
        ("WEB_EDITOR_BRANCH", "main"),
        ("NEWSLETTER_PATH", "newsletter"),
        ("SEARCH_INDEX", True),
    ):
        assert first[key] == value, key
    # a mutable default is each build's own copy: a plugin changing it changes one build
    assert first["MOBILE_TOP_CATEGORIES"] == second["MOBILE_TOP_CATEGORIES"]
    assert first["MOBILE_TOP_CATEGORIES"] is not second["MOBILE_TOP_CATEGORIES"]
    # the multilingual Site (the compiled catalogs) belongs to its build
    assert first[multilingual.SITE] is not second[multilingual.SITE]
    assert multilingual.site_for(first) is first[multilingual.SITE]


def test_the_user_value_wins_and_is_checked():
    spec = {"X_SIZE": plugin_settings.Setting(3, plugin_settings.positive_int, "1 以上の整数")}
    assert plugin_settings.read({"X_SIZE": 7}, spec) == {"X_SIZE": 7}
    assert plugin_settings.read({}, spec) == {"X_SIZE": 3}
    with pytest.raises(plugin_settings.SettingError, match="X_SIZE は1 以上の整数"):
        plugin_settings.read({"X_SIZE": -1}, spec)
    # without a check, a value must have the default's type (True is not an int)
    typed = {"X_ON": plugin_settings.Setting(True), "X_N": plugin_settings.Setting(1)}
    with pytest.raises(plugin_settings.SettingError, match="X_N"):
        plugin_settings.read({"X_N": True}, typed)
    with pytest.raises(plugin_settings.SettingError, match="X_ON"):
        plugin_settings.read({"X_ON": 1}, typed)
