"""`huracan init [DIR]`: write a commented ``huracan.yaml`` and check it.

The file is generated from the settings model itself — every key, its default and its
description — so it can never drift from what the code accepts. Secrets are listed as
comments naming the environment variable or credential file that carries them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from huracan.cli.common import console, err_console, fail

if TYPE_CHECKING:  # imported where used: the settings model is not needed to start the CLI
    from pydantic import BaseModel

__all__ = ["commented_config", "register"]

_HEADER = """\
# Huracan Observability configuration, written by `huracan init`.
#
# Every key below shows its default. Any key can be overridden by an environment
# variable: HURACAN_ + the key path with __ between levels, e.g.
#   HURACAN_NOTIFIERS__EMAIL__HOST=smtp.example.com
# Secrets (passwords, tokens, webhook URLs, API keys) never belong in this file: set
# them in the environment or in files under $CREDENTIALS_DIRECTORY (systemd
# LoadCredential=) named by the dotted key, e.g. notifiers.telegram.bot_token.
#
# Check it:       huracan config check --config {path}
# Use it:         export HURACAN_CONFIG={path}
"""


def _scalar(value: Any) -> str:
    import yaml

    text = yaml.safe_dump(value, default_flow_style=True, width=1000).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def _is_secret(annotation: Any) -> bool:
    return "SecretStr" in str(annotation)


def _section(model: type[BaseModel], instance: BaseModel, path: list[str], indent: int) -> list[str]:
    import yaml
    from pydantic import BaseModel, SecretStr

    from huracan.config import ENV_PREFIX

    pad = "  " * indent
    lines: list[str] = []
    for name, field in model.model_fields.items():
        key = ".".join([*path, name])
        value = getattr(instance, name)
        if field.description:
            lines.append(f"{pad}# {field.description}")
        if isinstance(value, BaseModel):
            lines.append(f"{pad}{name}:")
            lines.extend(_section(type(value), value, [*path, name], indent + 1))
            continue
        if _is_secret(field.annotation) or isinstance(value, SecretStr):
            env = ENV_PREFIX + "__".join(p.upper() for p in [*path, name])
            if isinstance(value, dict):
                lines.append(f"{pad}# {name}: (secrets by name) e.g. {env}__OPENAI_API_KEY in the environment")
            else:
                lines.append(f"{pad}# {name}: (secret) set {env} or a credential file named {key}")
            continue
        dumped = instance.model_dump(mode="json", include={name})[name]
        if value is None:
            lines.append(f"{pad}# {name}: (not set)")
        elif isinstance(dumped, list) and dumped and isinstance(dumped[0], dict):
            lines.append(f"{pad}{name}:")
            block = yaml.safe_dump(dumped, sort_keys=False, default_flow_style=False).rstrip().splitlines()
            lines.extend(f"{pad}  {line}" for line in block)
        else:
            lines.append(f"{pad}{name}: {_scalar(dumped)}")
    return lines


def commented_config(path: Path, data_dir: Path | None = None) -> str:
    """The text of a complete, commented ``huracan.yaml`` holding every default."""
    from pydantic import BaseModel

    from huracan.config import Settings

    defaults = Settings.model_construct()
    lines = [_HEADER.format(path=path)]
    if data_dir is not None:
        lines.append("# Where events, digests and models are kept.")
        lines.append(f"data_dir: {_scalar(str(data_dir))}")
    else:
        lines.append("# Where events, digests and models are kept. Default: $STATE_DIRECTORY (systemd),")
        lines.append("# else ~/.local/share/huracan (or /var/lib/huracan when only the service's exists).")
        lines.append("# data_dir: /var/lib/huracan")
    for name, field in Settings.model_fields.items():
        if name == "data_dir":
            continue
        value = field.get_default(call_default_factory=True)
        lines.append("")
        if isinstance(value, BaseModel):
            lines.append(f"{name}:")
            lines.extend(_section(type(value), value, [name], 1))
        else:
            lines.append(f"{name}: {_scalar(getattr(defaults, name, value))}")
    return "\n".join(lines) + "\n"


def init(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Where to write huracan.yaml (created if missing).")] = Path("."),
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Write this data_dir into the file and create it.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing huracan.yaml.")] = False,
) -> None:
    """Write a commented huracan.yaml with every key and its default, then check it."""
    from huracan.config import ConfigError, load_config
    from huracan.config_checks import unmet_requirements

    directory = directory.expanduser().resolve()
    path = directory / "huracan.yaml"
    if path.exists() and not force:
        fail(f"{path} already exists", hint="edit it, or pass --force to overwrite it", code=2)
    if directory.exists() and not directory.is_dir():
        fail(f"{directory} is not a directory", code=2)
    directory.mkdir(parents=True, exist_ok=True)
    chosen = data_dir.expanduser().resolve() if data_dir else None
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(commented_config(path, chosen))
    tmp.replace(path)
    if chosen is not None:
        chosen.mkdir(parents=True, exist_ok=True)
    try:
        cfg = load_config(path)
    except ConfigError as exc:  # the generator and the model disagree: a bug, say so plainly
        fail(f"the written config does not load: {exc}", hint="please report this", code=1)
    console.print(f"[green]wrote[/] {path} (every key with its default; valid)", highlight=False)
    for problem in unmet_requirements(cfg):
        err_console.print(f"  to do: {problem}", highlight=False, markup=False)
    console.print("next:", highlight=False)
    console.print(f"  export HURACAN_CONFIG={path}", highlight=False, markup=False)
    console.print("  huracan config check && huracan daemon", highlight=False, markup=False)
    console.print(f"  data will be kept in {cfg.data_dir}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Add the top-level ``init`` command."""
    app.command("init")(init)
