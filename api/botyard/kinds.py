"""How Botyard sorts an upload by its part's Content-Type: the folder and size limit it gets, and
an extension that is the same on every machine (never read from the system's mime.types)."""
from __future__ import annotations

import mimetypes

from api.botyard.config import BotyardConfig

CATEGORIES = {  # Botyard's own lists; anything else is "files"
    **dict.fromkeys(("image/gif", "image/jpeg", "image/png", "image/svg+xml", "image/webp"),
                    "images"),
    **dict.fromkeys(("video/mp4", "video/webm", "video/ogg", "video/quicktime", "video/x-flv"),
                    "videos"),
    **dict.fromkeys(("audio/mpeg", "audio/ogg", "audio/wav", "audio/aac"), "audios"),
}

EXTENSIONS = {
    "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp",
    "image/svg+xml": ".svg",
    "video/mp4": ".mp4", "video/webm": ".webm", "video/ogg": ".ogv", "video/quicktime": ".mov",
    "video/x-flv": ".flv",
    "audio/mpeg": ".mp3", "audio/ogg": ".ogg", "audio/wav": ".wav", "audio/aac": ".aac",
    "application/pdf": ".pdf", "text/plain": ".txt", "application/json": ".json",
    "application/zip": ".zip", "text/csv": ".csv",
}

BUILT_IN = mimetypes.MimeTypes(filenames=())  # Python's own table only, so no machine differs


def bare(mime_type: str) -> str:
    """`Image/PNG; charset=x` → `image/png`: parameters and case never change the kind."""
    return mime_type.split(";", 1)[0].strip().lower()


def category(mime_type: str) -> str:
    return CATEGORIES.get(bare(mime_type), "files")


def extension(mime_type: str) -> str:
    """With its leading dot, or "" when unknown: such a file is stored without one (decision 11)."""
    kind = bare(mime_type)
    return EXTENSIONS.get(kind) or BUILT_IN.guess_extension(kind, strict=True) or ""


def limit(config: BotyardConfig, category: str) -> int:
    """The size limit in bytes for a category; anything but images, audios, videos is a file."""
    sizes = {"images": config.max_image_size, "audios": config.max_audio_size,
             "videos": config.max_video_size}
    return sizes.get(category, config.max_file_size)


def too_large_message(category: str, limit: int, size: int) -> str:
    """Botyard's wording, its grammar included."""
    return f"Max allowed size for {category} are {limit} bytes, but got {size}."
