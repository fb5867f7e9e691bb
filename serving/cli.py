"""`serving plan | run | probe | profiles`: launch vLLM from a model profile."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping

import click
from pydantic import ValidationError

from ocrkit.model.profiles import ProfileError, list_profiles, load_profile
from serving.attention import AttentionError
from serving.gpu import Gpu, detect_gpus, parse_capability
from serving.plan import Plan, build_plan
from serving.settings import ServingSettings
from serving.vllm_install import detect_vllm, parse_vllm_spec

log = logging.getLogger("serving")
_OPTIONAL_SECRETS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "VLLM_API_KEY", "SERVING_API_KEY")
profile_option = click.option(
    "--profile", "-p", default=None, help="Profile name (default: $SERVING_PROFILE)."
)


@click.group(help=__doc__)
def app() -> None:
    pass


class UsageError(click.ClickException):
    """Anything the user can fix: printed as one line, exit status 2, nothing started."""

    exit_code = 2

    def show(self, file: object = None) -> None:
        click.echo(f"serving: error: {self.message}", err=True)


def _settings(profile: str | None) -> ServingSettings:
    try:
        settings = ServingSettings()
    except ValidationError as exc:
        raise UsageError("; ".join(_describe(e) for e in exc.errors())) from None
    return settings.model_copy(update={"profile": profile}) if profile else settings


def _describe(err: dict) -> str:
    name = ".".join(str(p) for p in err["loc"])
    return f"invalid {name}={err.get('input')!r}: {err['msg']}"


def _plan(
    settings: ServingSettings, capability: str | None = None, vllm_version: str | None = None
) -> Plan:
    try:
        model_profile = load_profile(settings.profile)
    except ProfileError as exc:
        raise UsageError(str(exc)) from None
    vllm = parse_vllm_spec(vllm_version) if vllm_version else detect_vllm()
    probe = None
    if capability is None:
        gpus, source = detect_gpus()
        if gpus and vllm.build == "cuda":
            from serving.probe import flash_attention_probe

            probe = flash_attention_probe
    elif capability.lower() in ("none", "cpu"):
        gpus, source = [], "--gpu-capability none"
    else:
        try:
            cc = parse_capability(capability)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        gpus = [Gpu(index=0, name=f"simulated sm_{cc[0]}{cc[1]}", capability=cc)]
        source = f"--gpu-capability {capability}"
        if vllm.build == "none":  # planning for a GPU host from a machine without vLLM
            vllm = vllm.model_copy(update={"build": "cuda"})
    try:
        return build_plan(settings, model_profile, vllm, gpus, source, probe)
    except AttentionError as exc:
        raise UsageError(str(exc)) from None


@app.command()
@profile_option
@click.option(
    "--gpu-capability",
    help="Plan for this compute capability (e.g. 8.9) or 'none', not this machine.",
)
@click.option("--vllm-version", help="Plan for this vLLM version (e.g. 0.11.0, 0.32.0+cpu).")
def plan(profile: str | None, gpu_capability: str | None, vllm_version: str | None) -> None:
    """Print the resolved launch plan as JSON; starts nothing."""
    resolved = _plan(_settings(profile), gpu_capability, vllm_version)
    click.echo(resolved.public().model_dump_json(indent=2))


@app.command()
@profile_option
def run(profile: str | None) -> None:
    """Resolve the plan and replace this process with vLLM."""
    settings = _settings(profile)
    resolved = _plan(settings)
    public = resolved.public()
    log.info("attention: %s", public.attention.reason)
    for warning in public.attention.warnings:
        log.warning("%s", warning)
    log.info("exec: %s", " ".join(public.argv))
    if settings.plan_file:
        resolved.write(settings.plan_file)
    sys.stdout.flush()
    sys.stderr.flush()
    # exec, not a child process: signals (SIGTERM from Docker or a test) reach vLLM itself.
    os.execve(resolved.argv[0], resolved.argv, launch_env(os.environ, resolved.env))


def launch_env(inherited: Mapping[str, str], plan_env: dict[str, str]) -> dict[str, str]:
    """vLLM's environment: ours plus the plan's, less the optional secrets left blank
    (compose passes `HF_TOKEN: ${HF_TOKEN:-}` as ""), which libraries may read as a key."""
    env = {**inherited, **plan_env}
    return {k: v for k, v in env.items() if k not in _OPTIONAL_SECRETS or v.strip()}


@app.command()
def probe() -> None:
    """Report the GPUs and which attention backends really work on them."""
    from serving.probe import report

    click.echo(json.dumps(report(), indent=2))


@app.command()
def profiles() -> None:
    """List the known model profiles."""
    for name in list_profiles():
        click.echo(name)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="serving: %(levelname)s %(message)s")
    app(prog_name="serving")


if __name__ == "__main__":
    main()
