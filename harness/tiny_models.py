"""Builds tiny random-weight checkpoints that a real vLLM can serve (no downloads).

Run with the vLLM environment's interpreter (it has transformers and tokenizers):
    .venvs/vllm/bin/python harness/tiny_models.py qwen2-vl OUT_DIR
    .venvs/vllm/bin/python harness/tiny_models.py deepseek-ocr OUT_DIR
    (also glm-ocr, paddleocr-vl, deepseek-ocr-2)

The text they produce is noise; they exist to exercise the serving path for real.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# Any local text will do to train the byte-level BPE; the prompts make sure Cyrillic is in it.
_CORPUS = [
    "Прочитай и извлеки весь текст с этого документа.",
    "Сохрани структуру (заголовки, списки, таблицы).",
    "Read and extract all text from this document. Preserve structure (headers, lists, tables).",
    "Облигации, проспект эмиссии, купон, дата погашения, номинальная стоимость 1000 рублей.",
    "| Показатель | 2024 | 2025 |\n|---|---|---|\n| Выручка | 1 234 | 2 345 |",
    "# Heading\n\n- item one\n- item two\n\nParse the figure. Free OCR.",
    "Convert the document to markdown.",
]

QWEN_SPECIALS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
]

QWEN_CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}"
    "{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

DEEPSEEK_SPECIALS = [
    "<｜begin▁of▁sentence｜>",
    "<｜end▁of▁sentence｜>",
    "<｜▁pad▁｜>",
    "<image>",
    "<|grounding|>",
    "<|ref|>",
    "<|/ref|>",
    "<|det|>",
    "<|/det|>",
    "<td>",
    "</td>",
]


def _bpe(specials: list[str], vocab_size: int = 600):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(_CORPUS * 20, trainer=trainer)
    return tok


def build_qwen2_vl(out: Path) -> None:
    import torch
    from transformers import (
        PreTrainedTokenizerFast,
        Qwen2VLConfig,
        Qwen2VLForConditionalGeneration,
        Qwen2VLImageProcessor,
    )

    out.mkdir(parents=True, exist_ok=True)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=_bpe(QWEN_SPECIALS),
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        chat_template=QWEN_CHAT_TEMPLATE,
    )
    tokenizer.save_pretrained(out)
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in QWEN_SPECIALS}
    Qwen2VLImageProcessor(min_pixels=56 * 56, max_pixels=28 * 28 * 1280).save_pretrained(out)
    # transformers writes the chat template into its own file; vLLM reads either.
    config = Qwen2VLConfig(
        text_config={
            "hidden_size": 128,
            "intermediate_size": 256,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "vocab_size": len(tokenizer),
            "max_position_embeddings": 32768,
            "bos_token_id": ids["<|endoftext|>"],
            "eos_token_id": ids["<|im_end|>"],
            # head dim 32 -> 16 rotary pairs split over (time, height, width).
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 1000000.0,
                "mrope_section": [4, 6, 6],
            },
        },
        vision_config={
            "depth": 2,
            "embed_dim": 64,
            "num_heads": 4,
            "hidden_size": 128,
            "mlp_ratio": 2,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
        },
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=False,
    )
    torch.manual_seed(0)
    model = Qwen2VLForConditionalGeneration(config).to(torch.bfloat16)
    model.save_pretrained(out)
    (out / "generation_config.json").write_text(
        json.dumps(
            {
                "bos_token_id": ids["<|endoftext|>"],
                "eos_token_id": ids["<|im_end|>"],
                "pad_token_id": ids["<|endoftext|>"],
            }
        )
    )


def build_deepseek_ocr(out: Path) -> None:
    """Config + tokenizer only: the server runs with --load-format dummy."""
    from transformers import PreTrainedTokenizerFast

    out.mkdir(parents=True, exist_ok=True)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=_bpe(DEEPSEEK_SPECIALS),
        bos_token="<｜begin▁of▁sentence｜>",
        eos_token="<｜end▁of▁sentence｜>",
        pad_token="<｜▁pad▁｜>",
    )
    tokenizer.save_pretrained(out)
    cfg_path = out / "tokenizer_config.json"
    tok_cfg = json.loads(cfg_path.read_text())
    tok_cfg["tokenizer_class"] = "LlamaTokenizerFast"  # what DeepSeek-OCR's processor expects
    cfg_path.write_text(json.dumps(tok_cfg, ensure_ascii=False, indent=2))
    # The real model's config with a tiny dense language model; the SAM and CLIP towers are
    # fixed-size in vLLM, and the projector maps their 2048 features to the LM's width.
    config = {
        "architectures": ["DeepseekOCRForCausalLM"],
        "model_type": "deepseek_vl_v2",
        "candidate_resolutions": [[1024, 1024]],
        "global_view_pos": "head",
        "tile_tag": "2D",
        "torch_dtype": "bfloat16",
        "language_config": {
            "architectures": ["DeepseekV2ForCausalLM"],
            "bos_token_id": 0,
            "eos_token_id": 1,
            "hidden_size": 128,
            "intermediate_size": 256,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 4,
            "first_k_dense_replace": 2,
            "moe_intermediate_size": 64,
            "n_routed_experts": 4,
            "n_shared_experts": 1,
            "num_experts_per_tok": 2,
            "n_group": 1,
            "topk_group": 1,
            "topk_method": "greedy",
            "kv_lora_rank": None,
            "q_lora_rank": None,
            "qk_nope_head_dim": 0,
            "qk_rope_head_dim": 0,
            "v_head_dim": 0,
            "use_mla": False,
            "max_position_embeddings": 8192,
            "vocab_size": 129280,
            "torch_dtype": "bfloat16",
        },
        "projector_config": {
            "input_dim": 2048,
            "model_type": "mlp_projector",
            "n_embed": 128,
            "projector_type": "linear",
        },
        "vision_config": {
            "image_size": 1024,
            "mlp_ratio": 3.7362,
            "model_name": "deeplip_b_l",
            "model_type": "vision",
        },
    }
    (out / "config.json").write_text(json.dumps(config, indent=2))


GLM_SPECIALS = [
    "<|endoftext|>",
    "[gMASK]",
    "<sop>",
    "<|system|>",
    "<|user|>",
    "<|assistant|>",
    "<|begin_of_image|>",
    "<|end_of_image|>",
    "<|image|>",
    "<|begin_of_video|>",
    "<|end_of_video|>",
    "<|video|>",
]
# GLM-V's chat format, as GLM-OCR's chat_template.jinja writes it for one user turn.
GLM_CHAT_TEMPLATE = (
    "[gMASK]<sop>{% for message in messages %}<|{{ message['role'] }}|>\n"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "<|begin_of_image|><|image|><|end_of_image|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}{% endif %}"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def build_glm_ocr(out: Path) -> None:
    import torch
    from transformers import (
        Glm46VImageProcessor,
        Glm46VProcessor,
        Glm46VVideoProcessor,
        GlmOcrConfig,
        GlmOcrForConditionalGeneration,
        PreTrainedTokenizerFast,
    )

    out.mkdir(parents=True, exist_ok=True)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=_bpe(GLM_SPECIALS),
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
    )
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in GLM_SPECIALS}
    processor = Glm46VProcessor(
        image_processor=Glm46VImageProcessor(
            size={"shortest_edge": 112 * 112, "longest_edge": 28 * 28 * 4096}
        ),
        tokenizer=tokenizer,
        video_processor=Glm46VVideoProcessor(),
        chat_template=GLM_CHAT_TEMPLATE,
    )
    processor.save_pretrained(out)
    tokenizer.chat_template = GLM_CHAT_TEMPLATE
    tokenizer.save_pretrained(out)
    config = GlmOcrConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": 128,
            "intermediate_size": 256,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "max_position_embeddings": 32768,
            "eos_token_id": [ids["<|endoftext|>"], ids["<|user|>"]],
            "pad_token_id": ids["<|endoftext|>"],
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 10000.0,
                "mrope_section": [4, 6, 6],
                "partial_rotary_factor": 1.0,
            },
        },
        vision_config={
            "depth": 2,
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_heads": 4,
            "out_hidden_size": 128,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
        },
        image_token_id=ids["<|image|>"],
        video_token_id=ids["<|video|>"],
        image_start_token_id=ids["<|begin_of_image|>"],
        image_end_token_id=ids["<|end_of_image|>"],
        video_start_token_id=ids["<|begin_of_video|>"],
        video_end_token_id=ids["<|end_of_video|>"],
    )
    torch.manual_seed(0)
    GlmOcrForConditionalGeneration(config).to(torch.bfloat16).save_pretrained(out)
    # One multi-token-prediction layer, as the real model has, so that the profile's MTP
    # speculative decoding runs; transformers has no weights for it: serve with
    # --load-format dummy.
    saved = json.loads((out / "config.json").read_text())
    saved["text_config"]["num_nextn_predict_layers"] = 1
    (out / "config.json").write_text(json.dumps(saved, indent=2))
    _generation_config(out, ids["<|endoftext|>"], ids["<|endoftext|>"])


PADDLE_SPECIALS = [
    "<unk>",
    "<s>",
    "</s>",
    "<|begin_of_sentence|>",
    "<|end_of_sentence|>",
    "<|IMAGE_START|>",
    "<|IMAGE_END|>",
    "<|IMAGE_PLACEHOLDER|>",
    "<|VIDEO_PLACEHOLDER|>",
    *(f"<|LOC_{i}|>" for i in range(0, 1001, 100)),
    "<fcel>",
    "<ecel>",
    "<lcel>",
    "<ucel>",
    "<xcel>",
    "<nl>",
]
# PaddleOCR-VL's chat format: "User: <image>PROMPT\nAssistant: ".
PADDLE_CHAT_TEMPLATE = (
    "<|begin_of_sentence|>{% for message in messages %}"
    "{% if message['role'] == 'user' %}User: {% else %}Assistant: {% endif %}"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "<|IMAGE_START|><|IMAGE_PLACEHOLDER|><|IMAGE_END|>"
    "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}{% endif %}\n"
    "{% endfor %}{% if add_generation_prompt %}Assistant: {% endif %}"
)


def build_paddleocr_vl(out: Path) -> None:
    import torch
    from transformers import (
        PaddleOCRVLConfig,
        PaddleOCRVLForConditionalGeneration,
        PaddleOCRVLImageProcessor,
        PaddleOCRVLProcessor,
        PreTrainedTokenizerFast,
    )

    out.mkdir(parents=True, exist_ok=True)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=_bpe(PADDLE_SPECIALS),
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<unk>",
        extra_special_tokens={"image_token": "<|IMAGE_PLACEHOLDER|>"},
    )
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in PADDLE_SPECIALS}
    processor = PaddleOCRVLProcessor(
        image_processor=PaddleOCRVLImageProcessor(
            size={"shortest_edge": 112 * 112, "longest_edge": 28 * 28 * 3600}
        ),
        tokenizer=tokenizer,
        chat_template=PADDLE_CHAT_TEMPLATE,
    )
    processor.save_pretrained(out)
    tokenizer.chat_template = PADDLE_CHAT_TEMPLATE
    tokenizer.save_pretrained(out)
    config = PaddleOCRVLConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": 128,
            "intermediate_size": 256,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 32,
            "max_position_embeddings": 32768,
            "pad_token_id": ids["<unk>"],
            "bos_token_id": ids["<s>"],
            "eos_token_id": ids["</s>"],
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 500000.0,
                "mrope_section": [4, 6, 6],
            },
        },
        vision_config={
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "patch_size": 14,
            "spatial_merge_size": 2,
        },
        image_token_id=ids["<|IMAGE_PLACEHOLDER|>"],
        video_token_id=ids["<|VIDEO_PLACEHOLDER|>"],
        vision_start_token_id=ids["<|IMAGE_START|>"],
        vision_end_token_id=ids["<|IMAGE_END|>"],
    )
    torch.manual_seed(0)
    PaddleOCRVLForConditionalGeneration(config).to(torch.bfloat16).save_pretrained(out)
    _generation_config(out, ids["<s>"], ids["</s>"])


def build_deepseek_ocr_2(out: Path) -> None:
    """DeepSeek-OCR's tiny config with OCR-2's architecture (its SAM and Qwen2 encoder towers
    are fixed-size in vLLM, their features projected to the LM's width as in the real one)."""
    build_deepseek_ocr(out)
    config = json.loads((out / "config.json").read_text())
    config["architectures"] = ["DeepseekOCR2ForCausalLM"]
    config["projector_config"]["input_dim"] = 896
    (out / "config.json").write_text(json.dumps(config, indent=2))


def _generation_config(out: Path, bos: int, eos: int) -> None:
    (out / "generation_config.json").write_text(
        json.dumps({"bos_token_id": bos, "eos_token_id": eos, "pad_token_id": eos})
    )


BUILDERS = {
    "qwen2-vl": build_qwen2_vl,
    "deepseek-ocr": build_deepseek_ocr,
    "deepseek-ocr-2": build_deepseek_ocr_2,
    "glm-ocr": build_glm_ocr,
    "paddleocr-vl": build_paddleocr_vl,
}

if __name__ == "__main__":
    BUILDERS[sys.argv[1]](Path(sys.argv[2]))
