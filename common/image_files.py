"""The file name extensions accepted as images (CompreFace's list), for uploads and bulk imports alike."""

IMAGE_EXTENSIONS = frozenset({"tif", "tiff", "jpg", "jpeg", "png", "bmp", "ico", "gif", "webp"})
