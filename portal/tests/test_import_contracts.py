"""The folders' design holds: no import runs back down the stack (docs/ARCHITECTURE.md, "Apps and
their files"). The contracts are import-linter's, in pyproject.toml; `make lint` runs them too."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def test_every_import_contract_is_kept():
    ran = subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr
