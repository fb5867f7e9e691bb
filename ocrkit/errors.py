"""Every error ocrkit raises on purpose, under one root: `except ocrkit.OcrError` catches
them all, and the narrower classes say whose fault it is and whether anything was sent."""

from __future__ import annotations


class OcrError(Exception):
    """The root of every ocrkit error."""


class OptionsError(OcrError, ValueError):
    """An option is unknown or has an invalid value; nothing was started."""


class InputError(OcrError, ValueError):
    """A path the user gave cannot be read as a document; nothing was started."""


class ProfileError(OcrError, ValueError):
    """A profile is unknown or its file is invalid."""


class PromptError(OcrError, ValueError):
    """A prompt key the profile does not define."""


class ImageError(OcrError, ValueError):
    """The input is not a usable page image; the message says why."""


class EngineUnavailable(OcrError, RuntimeError):
    """The engine cannot run here or its server is not there: nothing was sent."""


class PageFailed(OcrError, RuntimeError):
    """One page could not be read (after the engine's own retries)."""


class ReplyError(PageFailed):
    """A server answered 200 with a body that is not the reply it should be."""
