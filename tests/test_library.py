"""The library surface: typed keyword options, one error root, settings read from one
place each, and an `aocr` that never blocks its caller's event loop."""

from __future__ import annotations

import asyncio
import inspect
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pydantic import ValidationError

import ocrkit
from harness.fakes import make_pdf
from ocrkit.api import aocr, ocr
from ocrkit.engines.vllm_local import VllmEngine, _scoped_env
from ocrkit.model.launch import Gpu, VllmInstall
from ocrkit.model.profiles import list_profiles, load_profile
from ocrkit.options import OcrOptions
from ocrkit.pdf import sources
from serving.plan import build_plan
from serving.settings import ServingSettings


def test_ocr_and_aocr_take_every_option_as_a_typed_keyword() -> None:
    fields = set(OcrOptions.model_fields)
    for fn in (ocr, aocr):
        params = inspect.signature(fn).parameters
        keywords = {n for n, p in params.items() if p.kind is inspect.Parameter.KEYWORD_ONLY}
        assert keywords == fields | {"options", "pages"}, fn.__name__
        assert all(params[n].annotation != "object" for n in keywords)


def test_an_unknown_option_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="engnie"):
        OcrOptions(engnie="openai")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="engnie"):
        ocr(tmp_path / "x.pdf", engnie="openai")  # type: ignore[call-arg]
    with pytest.raises(ocrkit.OptionsError, match="quality_retries"):
        ocr(tmp_path / "x.pdf", quality_retries=99)


def test_every_error_is_an_ocr_error_and_exported() -> None:
    names = [
        "OptionsError",
        "InputError",
        "ProfileError",
        "PromptError",
        "ImageError",
        "EngineUnavailable",
        "PageFailed",
        "ReplyError",
    ]
    for name in names:
        assert name in ocrkit.__all__ and issubclass(getattr(ocrkit, name), ocrkit.OcrError)
    assert {"OcrError", "OcrOptions", "Document", "PageResult", "Block"} <= set(ocrkit.__all__)
    from ocrkit.model.images import ExtremeAspectRatio, ImageTooLarge
    from ocrkit.pdf.document import PdfError

    assert issubclass(PdfError, ocrkit.InputError)
    assert issubclass(ImageTooLarge, ocrkit.ImageError)
    assert issubclass(ExtremeAspectRatio, ocrkit.ImageError)


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(ocrkit.OcrError, match="no such file"):
        ocr(tmp_path / "missing.pdf", engine="tesseract")


def test_the_client_reads_only_its_own_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVING_PROFILE", "deepseek-ocr")  # the server's, not the client's
    monkeypatch.setenv("SERVED_MODEL_NAME", "server-side-name")
    assert OcrOptions().profile == "qwen2-vl-2b"
    monkeypatch.setenv("OCRKIT_PROFILE", "deepseek-ocr")
    assert OcrOptions().profile == "deepseek-ocr"
    assert OcrOptions(profile="qwen2-vl-7b").profile == "qwen2-vl-7b"  # an argument wins


def test_extra_profile_folders_come_from_ocrkit_configs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = Path(ocrkit.__file__).parent.parent / "configs" / "qwen2-vl-2b.toml"
    (tmp_path / "my-qwen.toml").write_text(source.read_text())
    monkeypatch.setenv("OCRKIT_CONFIGS", f"  {tmp_path}  ")
    assert "my-qwen" in list_profiles()
    assert load_profile("my-qwen").vllm.model == "Qwen/Qwen2-VL-2B-Instruct"
    monkeypatch.setenv("OCRKIT_CONFIGS", "")
    assert "my-qwen" not in list_profiles()


def test_the_in_process_engine_starts_vllm_as_serving_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QWEN_MODEL", "/models/tiny")
    monkeypatch.setenv("MAX_NUM_SEQS", "8")
    monkeypatch.setenv("SERVING_EXTRA_ARGS", "--enforce-eager --seed 3")
    launch = VllmEngine(OcrOptions(engine="vllm")).launch()
    plan = build_plan(
        ServingSettings(),
        load_profile("qwen2-vl-2b"),
        VllmInstall(version="0.32.0", build="cuda"),
        [Gpu(index=0, name="L4", capability=(8, 9))],
        "test",
    )
    assert launch.model == plan.model == "/models/tiny"
    # The plan's argv holds the very same engine flags, and ends with the same extras.
    start = plan.argv.index(launch.args[0])
    assert plan.argv[start : start + len(launch.args)] == launch.args
    assert plan.argv[-len(launch.extra) :] == launch.extra
    assert launch.args[launch.args.index("--max-num-seqs") + 1] == "8"
    assert launch.extra == ["--enforce-eager", "--seed", "3"]
    # The HTTP server's shutdown limit is a server's alone.
    server_only = {"SERVING_HTTP_SHUTDOWN_TIMEOUT"}
    assert launch.env == {k: v for k, v in plan.env.items() if k not in server_only} == {}


def test_the_profile_environment_is_scoped_to_vllm_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KEEP_ME", "mine")
    monkeypatch.delenv("VLLM_USE_V2_MODEL_RUNNER", raising=False)
    with _scoped_env({"VLLM_USE_V2_MODEL_RUNNER": "0", "KEEP_ME": "theirs"}):
        assert os.environ["VLLM_USE_V2_MODEL_RUNNER"] == "0"
    assert "VLLM_USE_V2_MODEL_RUNNER" not in os.environ
    assert os.environ["KEEP_ME"] == "mine"


# ---- aocr and the event loop ---------------------------------------------------------

# Each slow step (the file's hash, the server's answer, the tesseract calls) lasts until the
# event loop's heartbeat has ticked TICKS more times: it can end only while the loop runs.
# Run on the loop's own thread, it would wait out CAP_S instead and say so. Nothing here
# depends on how fast the machine is; CAP_S only keeps a blocked loop from hanging the test.
TICKS = 3
CAP_S = 30


class Heartbeat:
    """Ticks counted by the event loop's heartbeat (also written to `file`, for the fake
    tesseract); `outlast()` waits for TICKS more of them."""

    def __init__(self, file: Path) -> None:
        self.file, self.ticks = file, 0
        self.blocked: list[str] = []
        self._ticked = threading.Condition()
        file.write_text("0")

    def tick(self) -> None:
        with self._ticked:
            self.ticks += 1
            # Replaced whole, never seen half-written by the fake tesseract.
            part = self.file.with_suffix(".part")
            part.write_text(str(self.ticks))
            part.replace(self.file)
            self._ticked.notify_all()

    def outlast(self, what: str) -> None:
        with self._ticked:
            goal = self.ticks + TICKS
            if not self._ticked.wait_for(lambda: self.ticks >= goal, CAP_S):
                self.blocked.append(what)


@pytest.fixture
def heartbeat(tmp_path: Path) -> Heartbeat:
    return Heartbeat(tmp_path / "ticks")


@pytest.fixture
def slow_server(heartbeat: Heartbeat) -> Iterator[str]:
    """A server that answers, once the heartbeat has ticked, that it is not an OCR server."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            heartbeat.outlast("the server's answer")
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def slow_tesseract(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, heartbeat: Heartbeat) -> Path:
    """A `tesseract` on PATH that lists languages and says its version only once the
    heartbeat has ticked; it leaves a file named `blocked` where it waited in vain."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "tesseract"
    blocked = tmp_path / "blocked"
    outlast = (
        f"goal=$(( $(cat {heartbeat.file}) + {TICKS} )); i=0; "
        f'while [ "$(cat {heartbeat.file})" -lt $goal ]; do i=$((i+1)); '
        f'[ $i -gt {CAP_S * 20} ] && {{ echo "$1" >> {blocked}; break; }}; sleep 0.05; done; '
    )
    exe.write_text(
        "#!/bin/sh\n"
        f'case "$1" in --list-langs) {outlast}printf "eng\\nrus\\n";; '
        f"--version) {outlast}echo 'tesseract 5.3.0';; "
        # Its TSV layout, as `tesseract ... tsv` prints it: a header, then one word.
        "*) cat >/dev/null; printf 'level\\tpage_num\\tblock_num\\tpar_num\\tline_num\\t"
        "word_num\\tleft\\ttop\\twidth\\theight\\tconf\\ttext\\n"
        "5\\t1\\t1\\t1\\t1\\t1\\t10\\t10\\t90\\t20\\t96\\tОблигации\\n';; esac\n"
    )
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return blocked


def test_aocr_never_blocks_the_event_loop(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    heartbeat: Heartbeat,
    slow_server: str,
    slow_tesseract: Path,
) -> None:
    real_sha256 = sources._sha256

    def slow_sha256(path: Path) -> str:
        heartbeat.outlast("hashing the file")  # a large file on a slow disk
        return real_sha256(path)

    monkeypatch.setattr(sources, "_sha256", slow_sha256)
    pdf = make_pdf(tmp_path / "doc.pdf", ["x", "y"])

    async def main() -> ocrkit.Document:
        done = asyncio.Event()

        async def beat() -> None:
            while not done.is_set():
                await asyncio.sleep(0.01)
                heartbeat.tick()

        task = asyncio.create_task(beat())
        try:
            # auto: the slow server is asked first, then Tesseract (the fake) is started.
            return await aocr(pdf, url=slow_server, route="ocr", cache_dir=tmp_path / "cache")
        finally:
            done.set()
            await task

    doc = asyncio.run(main())
    assert [p.text for p in doc.pages] == ["Облигации", "Облигации"]
    assert doc.pages[0].engine == "tesseract"
    waited = slow_tesseract.read_text().split() if slow_tesseract.exists() else []
    assert heartbeat.blocked + waited == [], "the event loop was blocked while these ran"


def test_the_command_line_flags_are_the_options_marked_for_it() -> None:
    """ocrkit's flags, their choices and ranges come from OcrOptions: nothing typed twice."""
    import typing

    import click

    from ocrkit.cli import main as command

    params = {p.name: p for p in command.params if isinstance(p, click.Option)}
    marked = {
        n for n, f in OcrOptions.model_fields.items() if (f.json_schema_extra or {}).get("cli")
    }
    assert marked <= set(params)
    assert set(params) - marked == {"ocr_service", "page_spec", "output", "fmt"}
    for name in ("engine", "language", "route"):
        literal = OcrOptions.model_fields[name].annotation
        if type(None) in typing.get_args(literal):  # X | None: the choices are X's
            (literal,) = [a for a in typing.get_args(literal) if a is not type(None)]
        assert list(params[name].type.choices) == list(typing.get_args(literal))
    assert list(params["profile"].type.choices) == list_profiles()
    assert params["resume"].opts == ["--no-resume"] and params["resume"].flag_value is False
    assert params["max_tokens"].type.min == 1 and params["timeout"].type.min_open
    # Environment-only settings are no flags.
    assert not {"api_key", "retry_budget", "quality_retries", "cache_dir"} & set(params)
