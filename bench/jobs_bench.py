"""Issue 23's figures against a running server: the three-file upload's response time and
/healthz's latency while its job imports.

    .venv/bin/python bench/jobs_bench.py BASE_URL USERNAME PASSWORD FILE…

Signs in as a person who may import, posts the files to the import page as a browser does
(multipart, CSRF token), times the answer (the redirect to the job), then polls the job's
status every 0.5 s until it ends while another thread asks /healthz every 0.1 s.
"""

from __future__ import annotations

import http.cookiejar
import itertools
import json
import re
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main(base: str, username: str, password: str, files: list[str]) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def token(url: str) -> str:
        with opener.open(base + url) as page:
            return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.read().decode())[1]

    login = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token("/admin/login/")}
    ).encode()
    try:
        referer = {"Referer": base + "/admin/login/"}
        opener.open(urllib.request.Request(base + "/admin/login/", data=login, headers=referer))
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 302, redirect.code
    csrf = token("/admin/editorial/document/import/")
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"'
             f"\r\n\r\n{csrf}\r\n".encode()]  # fmt: skip
    for path in map(Path, files):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="{path.name}"\r\nContent-Type: text/plain\r\n\r\n'.encode()
            + path.read_bytes()
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()

    latencies: list[float] = []
    done = threading.Event()

    def health() -> None:
        while not done.is_set():
            start = time.perf_counter()
            with urllib.request.urlopen(base + "/healthz", timeout=60) as response:
                response.read()
            latencies.append(time.perf_counter() - start)
            time.sleep(0.1)

    watcher = threading.Thread(target=health)
    watcher.start()
    request = urllib.request.Request(
        base + "/admin/editorial/document/import/",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                 "Referer": base + "/admin/editorial/document/import/"},
    )  # fmt: skip
    start = time.perf_counter()
    try:
        opener.open(request)
        raise SystemExit("the upload did not answer with a redirect")
    except urllib.error.HTTPError as redirect:
        answered = time.perf_counter() - start
        assert redirect.code == 302, redirect.code
        job_url = redirect.headers["Location"]
    upload_mb = len(body) / 1024 / 1024
    print(f"upload: {upload_mb:.1f} MiB answered in {answered * 1000:.0f} ms with {job_url}")
    status_url = base + job_url.removesuffix("change/") + "status/"
    seen = []  # (files done, answers done) at each poll
    while True:
        with opener.open(status_url) as response:
            status = json.load(response)
        seen.append((status["files_done"], status["answers_done"]))
        if status["finished"]:
            break
        time.sleep(0.5)
    done.set()
    watcher.join()
    print(f"job: {status['state']}, {status['files_done']}/{status['files_total']} files, "
          f"{status['answers_done']} answers, {status['seconds']} s in the worker")  # fmt: skip
    # The answers done moving while a file is written (not only when it commits).
    within = sum(
        1
        for (files, answers), (files_after, answers_after) in itertools.pairwise(seen)
        if files_after == files and answers_after > answers
    )
    print(f"status polls: {len(seen)}; answers done moved within a file {within} times")
    ordered = sorted(latencies)
    print(
        f"/healthz during the job: {len(ordered)} requests, median "
        f"{statistics.median(ordered) * 1000:.1f} ms, p95 "
        f"{ordered[int(len(ordered) * 0.95) - 1] * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms, "
        f"{sum(latency > 0.05 for latency in ordered)} over 50 ms"
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
