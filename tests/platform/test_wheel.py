"""A wheel built from the repo carries tongxin, matching and the migrations, and migrates a fresh database."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted((ROOT / "migrations" / "tongxin").glob("tongxin_*.py"))


def test_wheel_contains_the_packages_and_migrates_a_fresh_database(tmp_path):
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    wheel = next(tmp_path.glob("tongxin-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "tongxin/app.py" in names
    assert any(n.startswith("tongxin/migrations/tongxin/tongxin_") for n in names)
    assert not any(n.startswith("platform/") for n in names)

    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(unpacked), "PICCOLO_CONF": "tongxin.piccolo_conf",
           "TONGXIN_DATABASE_URL": f"sqlite:///{elsewhere / 'fresh.sqlite3'}"}
    result = subprocess.run([sys.executable, "-c", "import tongxin.cli, sys; sys.exit(tongxin.cli.main(['migrate']))"],
                            cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"applied {len(MIGRATIONS)} migration" in result.stdout

    # the installed package carries the language catalogs and reads them without a build step
    assert "tongxin/locales/en/LC_MESSAGES/messages.po" in names
    assert "tongxin/locales/zh_CN/LC_MESSAGES/messages.po" in names
    words = subprocess.run([sys.executable, "-c", "from tongxin.web import i18n; "
                            "print(i18n.translate('sign_up', 'en'), i18n.label('open', 'zh-CN'))"],
                           cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60)
    assert words.stdout.split() == ["Sign", "up", "征集中"], words.stderr
