"""adapter: the legacy OCR API and the OpenAI API, one process in front of vLLM."""

from adapter.app import create_app
from adapter.settings import AdapterSettings

__all__ = ["AdapterSettings", "create_app"]
