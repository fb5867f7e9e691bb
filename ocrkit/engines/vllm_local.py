"""vLLM in this process (`vllm.LLM`) on this machine's GPU, pages batched together."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import threading
from typing import Any

from ocrkit.engines.base import EngineUnavailable, ModelEngine, PageFailed, Reply
from ocrkit.images import PageImage
from ocrkit.options import OcrOptions

BATCH_WAIT_S = 0.05  # how long the first page of a batch waits for company


class VllmEngine(ModelEngine):
    name = "vllm"
    default_concurrency = 64

    def __init__(self, options: OcrOptions) -> None:
        super().__init__(options)
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None

    def engine_kwargs(self) -> dict[str, Any]:
        spec = self.profile.vllm
        kwargs: dict[str, Any] = {
            "model": self.options.model_for(self.profile),
            "max_model_len": spec.max_model_len,
            "limit_mm_per_prompt": spec.limit_mm_per_prompt,
            "mm_processor_kwargs": spec.mm_processor_kwargs or None,
            "gpu_memory_utilization": spec.gpu_memory_utilization,
            "max_num_seqs": spec.max_num_seqs,
            "enable_prefix_caching": spec.enable_prefix_caching,
            "logits_processors": spec.logits_processors or None,
            "kv_cache_dtype": spec.kv_cache_dtype,
            "dtype": spec.dtype,
            "trust_remote_code": spec.trust_remote_code,
        }
        if spec.mm_processor_cache_gb is not None:
            kwargs["mm_processor_cache_gb"] = spec.mm_processor_cache_gb
        try:
            kwargs.update(json.loads(self.options.vllm_args))
        except ValueError as exc:
            raise EngineUnavailable(f"OCRKIT_VLLM_ARGS is not JSON: {exc}") from None
        return kwargs

    async def start(self) -> None:
        for key, value in self.profile.vllm.env.items():
            os.environ.setdefault(key, value)
        try:
            import vllm
        except ImportError:
            raise EngineUnavailable(
                "vLLM is not installed in this environment (the vllm engine runs it in-process)"
            ) from None
        kwargs = self.engine_kwargs()
        try:
            self._llm = await asyncio.to_thread(vllm.LLM, **kwargs)
        except Exception as exc:  # vLLM raises many types when a model cannot start
            raise EngineUnavailable(f"vLLM could not start {kwargs['model']}: {exc}") from None
        self.model = self.options.served_name_for(self.profile)
        self._sampling = vllm.SamplingParams
        self._thread = threading.Thread(target=self._serve, name="ocrkit-vllm", daemon=True)
        self._thread.start()

    async def read(self, page: PageImage, *, temperature: float) -> Reply:
        body = self.chat_request(page, temperature)
        params = self._sampling(
            temperature=body["temperature"],
            max_tokens=body["max_tokens"],
            skip_special_tokens=body.get("skip_special_tokens", True),
            extra_args=body.get("vllm_xargs"),
        )
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Reply] = loop.create_future()
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
                while len(batch) < self.profile.vllm.max_num_seqs:
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
                results: list[Reply | Exception] = [_reply(out) for out in outputs]
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


def _reply(out: Any) -> Reply:
    completion = out.outputs[0]
    return Reply(
        text=completion.text,
        finish_reason=completion.finish_reason,
        prompt_tokens=len(out.prompt_token_ids or []),
        completion_tokens=len(completion.token_ids),
    )


def _settle(future: asyncio.Future[Reply], result: Reply | Exception) -> None:
    if future.done():
        return
    if isinstance(result, Exception):
        future.set_exception(result)
    else:
        future.set_result(result)
