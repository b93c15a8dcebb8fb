"""What a file attached to work may be: checked by its bytes, not by its name."""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from tercero.platform.errors import InvalidInput

# content type -> the magic bytes it starts with
ACCEPTED = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
}
ACCEPTED_NAMES = "PDF, PNG, JPEG or TIFF"


def sniff(upload: UploadedFile[bytes]) -> str:
    """The content type the upload really is, or InvalidInput naming the problem."""
    if (upload.size or 0) > settings.ATTACHMENT_MAX_BYTES:
        limit = settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)
        raise InvalidInput(
            f"The file is larger than {limit} MB.", fields={"file": "too large"}, code="too_large"
        )
    if upload.size == 0:
        raise InvalidInput("The file is empty.", fields={"file": "empty"})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for content_type, signatures in ACCEPTED.items():
        if any(head.startswith(signature) for signature in signatures):
            return content_type
    raise InvalidInput(
        f"Only {ACCEPTED_NAMES} files can be attached.",
        fields={"file": "unsupported type"},
        code="unsupported_type",
    )


def safe_name(name: str) -> str:
    """The uploaded name for display and download: no path, no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>')
    return cleaned[:200] or "attachment"
