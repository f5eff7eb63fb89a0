"""The api server's options, read from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from common.config import PROJECT_ROOT, ServiceSettings



class ApiSettings(ServiceSettings):
    port: int = Field(default=8080, ge=1, le=65535, description="HTTP port")
    database_url: SecretStr | None = Field(
        default=None, description="PostgreSQL URL; unset = the embedded server under var/pgdata"
    )
    python_url: str = Field(
        default="127.0.0.1:50051",
        description="Core servers: comma-separated host:port list, or one DNS name resolving to several",
    )
    core_connect_timeout_ms: int = Field(default=10_000, ge=1, description="Time to reach a core server")
    core_read_timeout_ms: int = Field(default=60_000, ge=1, description="Time a core server may take to answer")
    auth_method: Literal["apikey", "public"] = Field(
        default="apikey", description="apikey (every call needs x-api-key) or public (trusted networks only)"
    )
    api_basepath: str = Field(default="/", description="Prefix of every route, e.g. /rr/cs/")
    max_file_size: int = Field(default=5 * 1024 * 1024, ge=1, description="Largest uploaded image, in bytes")
    max_request_size: int = Field(default=10 * 1024 * 1024, ge=1, description="Largest request body, in bytes")
    save_images_to_db: bool = Field(default=True, description="Keep the images faces were enrolled from")
    index_exact_max_faces: int = Field(
        default=50_000, ge=0, description="Collections up to this size are searched exactly; larger ones approximately"
    )
    index_type: Literal["hnsw", "ivf"] = Field(default="ivf", description="Approximate index for large collections")
    allow_private_image_urls: bool = Field(
        default=False, description="Allow image URLs that point at private, loopback or link-local addresses"
    )
    image_url_timeout_s: float = Field(default=10.0, gt=0, description="Time limit for downloading an image URL")
    cache_size_limit_bytes: int = Field(
        default=256 * 1024 * 1024, ge=0, description="Disk cache of downloaded image URLs"
    )
    url_cache_dir: Path = Field(default=PROJECT_ROOT / "var" / "url-cache", description="Folder of that cache")
