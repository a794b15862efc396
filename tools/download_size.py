"""Megabytes of the archives a `pip install --report FILE` fetched (check_wheel.sh):
a file:// archive by its size on disk, an https one by its Content-Length."""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
import urllib.request


def size_of(url: str) -> int:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "file":
        return os.path.getsize(urllib.parse.unquote(parts.path))
    request = urllib.request.Request(url, method="HEAD")
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(response.headers.get("Content-Length") or 0)


def main(report_path: str) -> int:
    report = json.load(open(report_path, encoding="utf-8"))
    total = sum(size_of(item["download_info"]["url"]) for item in report.get("install", [])
                if item.get("download_info", {}).get("url"))
    print(total // 1_000_000)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
