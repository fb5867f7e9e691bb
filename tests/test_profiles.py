from __future__ import annotations

from pathlib import Path

import pytest

from ocrkit import ProfileError, list_profiles, load_profile

LEGACY_RU = (
    "Прочитай и извлеки весь текст с этого документа. Сохрани структуру "
    "(заголовки, списки, таблицы). Формат: Markdown."
)


def test_builtin_profiles_are_listed() -> None:
    assert {"qwen2-vl-2b", "qwen2-vl-7b", "deepseek-ocr"} <= set(list_profiles())


@pytest.mark.parametrize("name", ["qwen2-vl-2b", "qwen2-vl-7b", "deepseek-ocr"])
def test_every_profile_is_valid_and_single_image(name: str) -> None:
    profile = load_profile(name)
    assert profile.name == name
    assert profile.vllm.limit_mm_per_prompt == {"image": 1, "video": 0}
    assert profile.client.default_prompt in profile.client.prompts
    assert profile.vram_gb > 0


def test_qwen_profiles_keep_the_legacy_prompts_and_pixel_bounds() -> None:
    for name, model in [
        ("qwen2-vl-2b", "Qwen/Qwen2-VL-2B-Instruct"),
        ("qwen2-vl-7b", "Qwen/Qwen2-VL-7B-Instruct"),
    ]:
        p = load_profile(name)
        assert p.vllm.model == model
        assert p.adapter_port == 8001
        assert p.client.prompts["russian"] == LEGACY_RU
        assert set(p.client.prompts) >= {"russian", "english", "auto"}
        # transformers' current form (min_pixels/max_pixels are deprecated there).
        assert p.vllm.mm_processor_kwargs == {
            "size": {"shortest_edge": 256 * 28 * 28, "longest_edge": 1280 * 28 * 28}
        }
        assert (p.client.min_pixels, p.client.max_pixels) == (256 * 28 * 28, 1280 * 28 * 28)
        assert p.client.sampling.temperature == 0


def test_deepseek_profile_carries_the_repetition_guard() -> None:
    p = load_profile("deepseek-ocr")
    assert p.adapter_port == 8000
    assert p.vllm.logits_processors == [
        "vllm.model_executor.models.deepseek_ocr:NGramPerReqLogitsProcessor"
    ]
    assert p.vllm.enable_prefix_caching is False
    assert p.vllm.mm_processor_cache_gb == 0
    assert p.vllm.max_model_len == 8192
    assert p.client.extra_body == {
        "skip_special_tokens": False,
        "vllm_xargs": {
            "ngram_size": 30,
            "window_size": 90,
            "whitelist_token_ids": [128821, 128822],
        },
    }
    assert {"default", "ocr_simple", "parse_figure", "table", "russian", "bpmn"} <= set(
        p.client.prompts
    )
    assert p.client.prompts["default"] == "Parse this document."


def test_unknown_profile_lists_the_known_ones() -> None:
    with pytest.raises(ProfileError, match=r"unknown profile 'nope'.*deepseek-ocr.*qwen2-vl-2b"):
        load_profile("nope")


def test_extra_config_dir_adds_and_validates_profiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = (Path(__file__).parent.parent / "configs" / "qwen2-vl-2b.toml").read_text()
    (tmp_path / "custom.toml").write_text(base.replace("max_num_seqs = 64", "max_num_seqs = 3"))
    (tmp_path / "broken.toml").write_text(
        base.replace('default_prompt = "russian"', 'default_prompt = "klingon"')
    )
    (tmp_path / "typo.toml").write_text(base + "\nmax_num_seq = 3\n")
    monkeypatch.setenv("OCRKIT_CONFIGS", str(tmp_path))
    assert load_profile("custom").vllm.max_num_seqs == 3
    with pytest.raises(ProfileError, match="klingon"):
        load_profile("broken")
    with pytest.raises(ProfileError, match="max_num_seq"):
        load_profile("typo")


def test_profiles_carry_the_models_own_reply_length() -> None:
    # The default max_tokens of a request that gives none: the original service's 2048 for
    # Qwen2-VL, DeepSeek-OCR's recipe's 8192 for dense pages.
    assert load_profile("qwen2-vl-2b").client.sampling.max_tokens == 2048
    assert load_profile("qwen2-vl-7b").client.sampling.max_tokens == 2048
    assert load_profile("deepseek-ocr").client.sampling.max_tokens == 8192


def test_serving_profiles_and_ocrkit_help_list_every_profile() -> None:
    from click.testing import CliRunner

    from ocrkit.cli import main as ocrkit_main
    from serving.cli import app as serving_app

    names = list_profiles()
    assert {"glm-ocr", "paddleocr-vl", "deepseek-ocr-2", "qwen2-vl-2b"} <= set(names)
    listed = CliRunner().invoke(serving_app, ["profiles"]).stdout.split()
    assert listed == names
    help_text = " ".join(CliRunner().invoke(ocrkit_main, ["--help"]).stdout.split())
    assert all(name in help_text for name in names)
