"""The source layout keeps the standard library's `platform` module reachable."""

import ast
import platform
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_platform_folder_is_a_source_root_not_a_package():
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_standard_library_platform_still_works_under_the_test_run():
    assert platform.system()
    assert Path(platform.__file__).name == "platform.py"


def test_tongxin_is_importable_from_the_source_root():
    import tongxin

    assert Path(tongxin.__file__).parent == ROOT / "platform" / "tongxin"


def test_matching_imports_no_web_or_database_code():
    forbidden = {"litestar", "piccolo", "tongxin", "asyncpg", "aiosqlite", "sqlite3", "httpx", "jinja2"}
    for path in (ROOT / "matching").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in forbidden, f"{path.name} imports {name}"


def test_every_domain_has_the_same_few_files():
    for domain in ("accounts", "organizations", "volunteers", "wishes", "activities", "matches",
                   "scheduling", "reports", "hours", "web"):
        folder = ROOT / "platform" / "tongxin" / domain
        for name in ("tables.py", "service.py", "routes.py", "schemas.py"):
            assert (folder / name).is_file(), f"{domain}/{name} is missing"
