"""ocrkit: OCR of PDFs and page images with vision-language models."""

from ocrkit.profiles import (
    ClientSpec,
    ModelProfile,
    ProfileError,
    Sampling,
    VllmSpec,
    list_profiles,
    load_profile,
)

__all__ = [
    "ClientSpec",
    "ModelProfile",
    "ProfileError",
    "Sampling",
    "VllmSpec",
    "list_profiles",
    "load_profile",
]
