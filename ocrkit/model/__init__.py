"""What every part of the stack knows about the models, once: the profiles (`profiles`,
from `configs/`), the request to send (`request`) and the reply to read (`reply`,
`postprocess`, `quality`), page images (`images`), the vLLM arguments (`vllm_args`) and the
launch record (`launch`), the server-side settings (`settings`) and the one HTTP client to a
model server (`transport`). `adapter` and `serving` import these; nothing here imports them."""

from typing import TYPE_CHECKING

from ocrkit._lazy import lazy_exports

if TYPE_CHECKING:
    from ocrkit.model.images import PageImage, load_image
    from ocrkit.model.profiles import ModelProfile, list_profiles, load_profile
    from ocrkit.model.reply import ChatReply, parse_chat_reply
    from ocrkit.model.request import build_chat_request

_EXPORTS = {
    "ChatReply": ".reply",
    "ModelProfile": ".profiles",
    "PageImage": ".images",
    "build_chat_request": ".request",
    "list_profiles": ".profiles",
    "load_image": ".images",
    "load_profile": ".profiles",
    "parse_chat_reply": ".reply",
}
__all__ = [
    "ChatReply",
    "ModelProfile",
    "PageImage",
    "build_chat_request",
    "list_profiles",
    "load_image",
    "load_profile",
    "parse_chat_reply",
]
__getattr__ = lazy_exports(__name__, _EXPORTS)
