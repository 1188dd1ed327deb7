"""docs/deployment.md and .env.example name every environment variable the portal reads."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ["core", "manufacturers", "following", "workstreams", "casestudies", "pages", "mmip_portal"]
# Set by `make test` and the embedded database only; the guide names them in a sentence.
DEVELOPMENT_ONLY = {"TESTING", "MMIP_VAR_DIR"}


def _environment_variables() -> set[str]:
    """Every NAME in os.environ.get("NAME"), os.environ["NAME"] and os.getenv("NAME") in the product."""
    names = set()
    for package in PRODUCT:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and ast.unparse(node.func) in {"os.environ.get", "os.getenv"}:
                    argument = node.args[0] if node.args else None
                elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
                    argument = node.slice
                else:
                    continue
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    names.add(argument.value)
    return names


VARIABLES = sorted(_environment_variables())


def test_the_product_reads_variables_at_all():
    assert {"SECRET_KEY", "DATABASE_REPLICA_URLS", "NUM_PROXIES", "API_QUOTA_ANONYMOUS_PER_MINUTE"} <= set(
        VARIABLES
    )


@pytest.mark.parametrize("name", VARIABLES)
def test_the_deployment_guide_has_a_row_for_every_variable(name):
    guide = (ROOT / "docs" / "deployment.md").read_text()
    if name in DEVELOPMENT_ONLY:
        assert f"`{name}`" in guide
    else:
        first_cells = [line.split("|")[1] for line in guide.splitlines() if line.startswith("| `")]
        assert any(f"`{name}`" in cell for cell in first_cells), name


@pytest.mark.parametrize("name", [name for name in VARIABLES if name not in DEVELOPMENT_ONLY])
def test_the_example_environment_lists_every_variable(name):
    lines = (ROOT / ".env.example").read_text().splitlines()
    assert any(line.lstrip("# ").startswith(f"{name}=") for line in lines), name
