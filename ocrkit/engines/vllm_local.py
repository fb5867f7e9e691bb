"""vLLM in this process (`vllm.LLM`) on this machine's GPU, pages batched together.

vLLM is started from the same engine arguments `serving run` puts on its command line
(`ocrkit.model.vllm_args`), with the same environment variables (QWEN_MODEL, MAX_MODEL_LEN,
SERVING_EXTRA_ARGS, ...), parsed by vLLM's own argument parser.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import queue
import threading
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from ocrkit.engines.base import ModelEngine
from ocrkit.errors import EngineUnavailable, PageFailed
from ocrkit.model.images import PageImage
from ocrkit.model.reply import ChatReply
from ocrkit.model.request import vllm_sampling
from ocrkit.model.settings import VllmOverrides
from ocrkit.model.vllm_args import VllmArgs, vllm_args
from ocrkit.options import OcrOptions

BATCH_WAIT_S = 0.05  # how long the first page of a batch waits for company


class VllmEngine(ModelEngine):
    name = "vllm"
    default_concurrency = 64
    runs_on_cluster = False

    def __init__(self, options: OcrOptions) -> None:
        super().__init__(options)
        try:
            self.settings = VllmOverrides()
        except ValidationError as exc:
            raise EngineUnavailable(f"invalid vLLM setting: {exc.errors()[0]['msg']}") from None
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None

    def launch(self) -> VllmArgs:
        return vllm_args(self.profile, self.settings, on_gpu=True)

    async def connect(self) -> None:
        try:
            import vllm
        except ImportError:
            raise EngineUnavailable(
                "vLLM is not installed in this environment (the vllm engine runs it in-process)"
            ) from None
        launch = self.launch()
        try:
            kwargs = engine_kwargs(launch)
            with _scoped_env(launch.env):
                self._llm = await asyncio.to_thread(vllm.LLM, **kwargs)
        except (Exception, SystemExit) as exc:  # vLLM raises many types when it cannot start
            raise EngineUnavailable(f"vLLM could not start {launch.model}: {exc}") from None
        self.model = launch.served_model_name
        self._sampling = vllm.SamplingParams
        self._thread = threading.Thread(target=self._serve, name="ocrkit-vllm", daemon=True)
        self._thread.start()

    async def ask(
        self, image: PageImage, prompt_key: str, temperature: float, prompt: str | None = None
    ) -> ChatReply:
        body = self.chat_request(image, temperature, prompt_key, prompt)
        params = self._sampling(**vllm_sampling(body))
        loop = asyncio.get_running_loop()
        future: asyncio.Future[ChatReply] = loop.create_future()
        self._queue.put((body["messages"], params, loop, future))
        return await future

    def _serve(self) -> None:
        """Batches whatever pages are waiting into one `LLM.chat` call, again and again."""
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            try:
                while len(batch) < self.settings.max_num_seqs_for(self.profile):
                    item = self._queue.get(timeout=BATCH_WAIT_S)
                    if item is None:
                        self._queue.put(None)
                        break
                    batch.append(item)
            except queue.Empty:
                pass
            try:
                outputs = self._llm.chat(
                    [b[0] for b in batch], sampling_params=[b[1] for b in batch], use_tqdm=False
                )
                results: list[ChatReply | Exception] = [_reply(out) for out in outputs]
            except Exception as exc:
                results = [PageFailed(f"vLLM failed: {exc}")] * len(batch)
            for (_, _, loop, future), result in zip(batch, results, strict=True):
                loop.call_soon_threadsafe(_settle, future, result)

    async def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            await asyncio.to_thread(self._thread.join, 30)
        # vLLM's engine runs in child processes: without an explicit shutdown the
        # interpreter can wait for them forever at exit.
        core = getattr(
            getattr(getattr(self, "_llm", None), "llm_engine", None), "engine_core", None
        )
        if core is not None and hasattr(core, "shutdown"):
            await asyncio.to_thread(core.shutdown)


def engine_kwargs(launch: VllmArgs) -> dict[str, Any]:
    """`LLM(...)` keyword arguments from `vllm serve`'s flags, through vLLM's own parser:
    only what differs from vLLM's defaults, so LLM's own defaults still apply."""
    from vllm.engine.arg_utils import EngineArgs
    from vllm.utils.argparse_utils import FlexibleArgumentParser

    parser = EngineArgs.add_cli_args(FlexibleArgumentParser(prog="ocrkit --engine vllm"))
    parsed = EngineArgs.from_cli_args(
        parser.parse_args(["--model", launch.model, *launch.args, *launch.extra])
    )
    defaults = EngineArgs(model=launch.model)
    return {
        f.name: getattr(parsed, f.name)
        for f in dataclasses.fields(EngineArgs)
        if f.name == "model" or getattr(parsed, f.name) != getattr(defaults, f.name)
    }


@contextlib.contextmanager
def _scoped_env(env: dict[str, str]) -> Iterator[None]:
    """The profile's environment while vLLM starts (its engine processes inherit it), put
    back afterwards: the library must not change its caller's environment for good."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _reply(out: Any) -> ChatReply:
    completion = out.outputs[0]
    return ChatReply(
        text=completion.text,
        finish_reason=completion.finish_reason,
        prompt_tokens=len(out.prompt_token_ids or []),
        completion_tokens=len(completion.token_ids),
    )


def _settle(future: asyncio.Future[ChatReply], result: ChatReply | Exception) -> None:
    if future.done():
        return
    if isinstance(result, Exception):
        future.set_exception(result)
    else:
        future.set_result(result)
