"""Names and keys the shared test servers are started with (tests/conftest.py)."""

QWEN_KEY = "test-upstream-key-3f9c"
ADAPTER_KEY = "test-adapter-key-77ab"
QWEN_NAME = "tiny-qwen2-vl"
ADAPTER_MAX_NEW_TOKENS = 16
PAGES = 20  # of the pdf20 fixture
