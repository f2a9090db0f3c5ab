"""What the operator copies and reads stays true: the README's examples and the unit file."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_placeholders_name_real_metrics() -> None:
    from huracan.plugins.builtin.metrics.catalog import default_metrics_path

    ids = set(yaml.safe_load(default_metrics_path().read_text())["metrics"])
    section = README[README.index("**Every number is verified.**") :][:600]
    found = re.findall(r"`\{([a-z_][\w.]*)\}`", section)
    assert found, "the README shows placeholder examples"
    for placeholder in found:
        assert placeholder.split(".")[0] in ids, f"README placeholder {{{placeholder}}} is not a metric"


def test_the_units_documentation_is_installed_by_the_readme_steps() -> None:
    unit = (ROOT / "deploy" / "huracan.service").read_text()
    docs = re.findall(r"^Documentation=(.+)$", unit, flags=re.M)
    assert docs
    for url in docs[0].split():
        if url.startswith("file://"):
            path = Path(url.removeprefix("file://"))
            install = f"sudo cp README.md {path.parent}/"
            assert install in README, f"{url} is never installed by the README's steps"
