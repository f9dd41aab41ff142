"""The folders' design holds: no import runs back down the stack (docs/ARCHITECTURE.md, "Apps and
their files"). The contracts are import-linter's, in pyproject.toml; `make lint` runs them too."""

import ast
import importlib
import re
import subprocess
import sys
from pathlib import Path

from django.contrib.auth import get_user_model

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def test_every_import_contract_is_kept():
    ran = subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr


APPS = ("ambassadors", "referrals", "payouts")
USER_MODEL_BY_NAME = re.compile(r"""["']portal\.User["']|get_model\(\s*["']portal["']\s*,\s*["']User["']""")


def _app_sources():
    """The apps' code: not their tests, not their migrations (which name the user model as
    settings.AUTH_USER_MODEL and depend on the kernel's migrations by design)."""
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "tests" not in parts and "migrations" not in parts:
                yield path


def test_apps_reach_the_user_model_only_through_get_user_model():
    """The import contract `user-model` forbids importing portal.kernel.models, but it lets an
    app import a kernel module that imports it (the audit log needs that), so a name taken from
    such a module, or the model named by its label, would pass it: both are looked for here."""
    user_model = get_user_model()
    reached = []
    for path in _app_sources():
        source = path.read_text()
        where = path.relative_to(ROOT)
        reached += [f"{where}: names the model {match[0]}" for match in USER_MODEL_BY_NAME.finditer(source)]
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("portal"):
                module = importlib.import_module(node.module)
                reached += [
                    f"{where}: imports {alias.name} from {node.module}"
                    for alias in node.names
                    if getattr(module, alias.name, None) is user_model
                ]
    assert reached == []


def test_the_user_model_check_finds_a_name_taken_from_a_kernel_module():
    """The check above can fail: the kernel's admin module holds the user model."""
    assert importlib.import_module("portal.kernel.admin").User is get_user_model()
    assert USER_MODEL_BY_NAME.search("apps.get_model('portal', 'User')")
    assert USER_MODEL_BY_NAME.search('models.ForeignKey("portal.User", on_delete=models.PROTECT)')
