"""litellm's hijacked releases planted ``*.pth`` files (run at every interpreter start):
fail if one appears, and if an installed litellm is one of those releases."""

from __future__ import annotations

import importlib.metadata
import site
import sysconfig
from pathlib import Path

HIJACKED_LITELLM = {"1.82.7", "1.82.8", "1.107.0"}

# Every legitimate .pth in this environment, and why it is there:
ALLOWED_PTH = {
    # setuptools: routes `import distutils` to its own copy (Python 3.12 removed distutils).
    "distutils-precedence.pth",
    # `pip install -e .` of this project: one line, the path of the source tree.
    "_editable_impl_huracan_observability.pth",
}
# Editable installs of other packages (hatchling / setuptools name them so).
ALLOWED_PREFIXES = ("__editable__.", "_editable_impl_")


def _site_dirs() -> list[Path]:
    dirs = {Path(sysconfig.get_paths()["purelib"]), Path(sysconfig.get_paths()["platlib"])}
    dirs.update(Path(p) for p in site.getsitepackages())
    return sorted(d for d in dirs if d.is_dir())


def test_no_unexpected_pth_files() -> None:
    found = [p for d in _site_dirs() for p in d.glob("*.pth")]
    unexpected = [str(p) for p in found if p.name not in ALLOWED_PTH and not p.name.startswith(ALLOWED_PREFIXES)]
    assert not unexpected, (
        f"unexpected .pth file(s) {unexpected}: a .pth runs code at every Python start (the hijacked "
        "litellm releases planted one). Inspect it; if it is legitimate, add it to ALLOWED_PTH with the reason."
    )


def test_editable_pth_is_only_a_path() -> None:
    for d in _site_dirs():
        for p in d.glob("*.pth"):
            if p.name.startswith(ALLOWED_PREFIXES):
                lines = [ln for ln in p.read_text().splitlines() if ln.strip()]
                assert all(not ln.lstrip().startswith("import") for ln in lines), f"{p} executes code"


def test_litellm_is_not_a_hijacked_release() -> None:
    version = importlib.metadata.version("litellm")
    assert version not in HIJACKED_LITELLM, f"litellm {version} is a hijacked release; install the pinned 1.83.14"
    major, minor, patch = (int(x) for x in version.split(".")[:3])
    assert (major, minor, patch) >= (1, 83, 10), f"litellm {version} is older than the audited floor 1.83.10"
