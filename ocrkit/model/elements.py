"""Element-level reading, the mode GLM-OCR's and PaddleOCR-VL's published scores were
measured in: the layout stage finds the page's regions; each region is cropped and read
alone with its role's task prompt (the profile's `[client.elements]`), all of a page's
regions at once; the page is assembled from them in reading order, as blocks. The client's
model engines and the adapter's /ocr both read pages so.

Figures and page furniture are not sent (furniture is, with --keep-furniture). A page on
which the layout stage finds nothing to read is sent whole, so a blank-looking layout never
blanks a page."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image

from ocrkit.errors import EngineUnavailable
from ocrkit.layout.regions import FURNITURE
from ocrkit.model.images import MIN_SIDE, PageImage, encode
from ocrkit.model.postprocess import BBox, Block, as_markdown, postprocess
from ocrkit.model.reply import ChatReply
from ocrkit.structure.markup import cells_of, grids_in_text, html_tables_to_markdown

if TYPE_CHECKING:
    from ocrkit.layout import LayoutDetector, Region
    from ocrkit.model.profiles import ModelProfile

# White margin around a crop, as a share of the page's shorter side: layout boxes hug the
# ink, and a model reads a glyph cut at the edge worse than one with room around it.
MARGIN = 0.008
# A thin strip (a rule, a one-word line) is padded to this aspect ratio at most.
MAX_ASPECT = 50
# Regions inside another one of the same page (a nested duplicate box): read once.
NESTED = 0.8
# What a decoded page costs while it is looked at and cut: its RGB pixels, the layout
# stage's shrunk copy and its float tensors, about 8 bytes a pixel.
DECODED_BYTES = 8


# One region's request: the crop and the profile's prompt key for its role.
Ask = Callable[[PageImage, str], Awaitable[ChatReply]]


@dataclass
class ElementPage:
    """A page read region by region: its text (Markdown, in reading order), its blocks
    (every region, boxes in the page image's pixels) and the model's replies."""

    text: str
    blocks: list[Block]
    replies: list[ChatReply]

    @property
    def finish_reason(self) -> str | None:
        if any(r.finish_reason == "length" for r in self.replies):
            return "length"
        return self.replies[0].finish_reason

    @property
    def prompt_tokens(self) -> int | None:
        return _total(r.prompt_tokens for r in self.replies)

    @property
    def completion_tokens(self) -> int | None:
        return _total(r.completion_tokens for r in self.replies)


def element_level(profile: ModelProfile, mode: str, *, own_prompt: bool, fix: str) -> bool:
    """Whether pages are read region by region: `mode` auto (as the profile's authors
    measured it, unless the caller chose a prompt, which is for the whole page), elements
    or page. EngineUnavailable, saying `fix`, for elements on a profile without element
    prompts."""
    elements = bool(profile.client.elements)
    if mode == "elements" and not elements:
        raise EngineUnavailable(
            f"profile {profile.name} has no element prompts ([client.elements]); {fix}"
        )
    if mode == "auto":
        return profile.mode.mode == "element-level" and elements and not own_prompt
    return mode == "elements"


async def read_elements(
    profile: ModelProfile,
    layout: LayoutDetector,
    ask: Ask,
    page: PageImage,
    slots: asyncio.Semaphore,
    *,
    keep_furniture: bool = False,
    hold: Callable[[int], AbstractAsyncContextManager[None]] | None = None,
) -> ElementPage | None:
    """The page read region by region, every region's request at once through `ask`, as
    many at a time as `slots` lets through (shared by the caller's pages); None when the
    layout stage finds nothing to read, for the caller to send the page whole. The page is
    decoded, looked at and cut into its crops first, within `hold(bytes)` where given (a
    caller's memory budget), and let go before anything is sent."""
    async with hold(page.width * page.height * DECODED_BYTES) if hold else nullcontext():
        image = await asyncio.to_thread(page.image)
        if image.mode != "RGB":
            image = image.convert("RGB")
        regions = without_nested(await asyncio.to_thread(layout.regions, image))
        prompts = {
            i: key for i, r in enumerate(regions) if (key := _prompt(profile, r, keep_furniture))
        }
        lossy = page.mime == "image/jpeg"
        crops = {i: await asyncio.to_thread(_crop, image, regions[i].box, lossy) for i in prompts}
        del image
    if not prompts:
        return None

    async def read(crop: PageImage, key: str) -> tuple[ChatReply, tuple[int, int]]:
        async with slots:
            return await ask(crop, key), (crop.width, crop.height)

    replies = dict(
        zip(
            prompts,
            await asyncio.gather(*(read(crops[i], key) for i, key in prompts.items())),
            strict=True,
        )
    )
    blocks: list[Block] = []
    parts: list[str] = []
    for i, region in enumerate(regions):
        block = Block(
            id=i,
            type=region.role,
            content="",
            bbox=BBox(**dict(zip(("x0", "y0", "x1", "y1"), map(round, region.box), strict=True))),
            confidence=round(region.score, 3),
            metadata={"label": region.label},
        )
        if i in replies:
            reply, (width, height) = replies[i]
            block.content = postprocess(
                profile.client.postprocess, reply.text, width, height
            ).text.strip()
            # The reply as written (a caption the margin took in stays); the cells are its
            # largest table's.
            grids = grids_in_text(block.content) if region.role == "table" else []
            if grids:
                # Markdown where it can say the table, HTML where cells merge: every route's.
                block.content = html_tables_to_markdown(block.content)
                biggest = max(grids, key=lambda g: sum(map(len, g)))
                block.metadata["cells"] = cells_of(biggest)
            if block.content and (region.role not in FURNITURE or keep_furniture):
                block.metadata["order"] = len(parts)
                parts.append(as_markdown(block))
        blocks.append(block)
    return ElementPage("\n\n".join(parts), blocks, [r for r, _ in replies.values()])


def without_nested(regions: list[Region]) -> list[Region]:
    """The regions less any lying mostly inside a bigger one of its own role (the small CDLA
    model often boxes a paragraph and, again, a part of it): its words would be read twice.
    A region inside one of another role (text in a figure, a table in a text box) stays."""
    kept: list[Region] = []
    for region in sorted(regions, key=_area, reverse=True):
        if all(
            big.role != region.role or _overlap(region, big) < NESTED * _area(region)
            for big in kept
        ):
            kept.append(region)
    return [r for r in regions if r in kept]


def _prompt(profile: ModelProfile, region: Region, keep_furniture: bool) -> str | None:
    elements = profile.client.elements
    if region.role in FURNITURE and keep_furniture:
        return elements.get("text", profile.client.default_prompt)
    return elements.get(region.role)


def _crop(image: Image.Image, box: tuple[float, float, float, float], lossy: bool) -> PageImage:
    """The region with a white margin, at least MIN_SIDE on each side (models refuse less)."""
    margin = round(MARGIN * min(image.size))
    x0, y0 = max(0, int(box[0]) - margin), max(0, int(box[1]) - margin)
    x1 = min(image.width, int(box[2] + 0.999) + margin)
    y1 = min(image.height, int(box[3] + 0.999) + margin)
    part = image.crop((x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)))
    side = (
        max(MIN_SIDE, part.width, -(-part.height // MAX_ASPECT)),
        max(MIN_SIDE, part.height, -(-part.width // MAX_ASPECT)),
    )
    if side != part.size:
        canvas = Image.new("RGB", side, "white")
        canvas.paste(part, ((side[0] - part.width) // 2, (side[1] - part.height) // 2))
        part = canvas
    return encode(part, lossy=lossy, quality=95)


def _area(region: Region) -> float:
    x0, y0, x1, y1 = region.box
    return max(0.0, x1 - x0) * max(0.0, y1 - y0)


def _overlap(a: Region, b: Region) -> float:
    w = min(a.box[2], b.box[2]) - max(a.box[0], b.box[0])
    h = min(a.box[3], b.box[3]) - max(a.box[1], b.box[1])
    return max(0.0, w) * max(0.0, h)


def _total(values: Iterable[int | None]) -> int | None:
    numbers = [v for v in values if v is not None]
    return sum(numbers) if numbers else None
