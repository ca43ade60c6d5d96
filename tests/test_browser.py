"""The HTML reports in headless Chromium (Debian's `chromium`), driven over the Chrome DevTools
Protocol on a pipe (--remote-debugging-pipe: fd 3 in, fd 4 out, NUL-separated JSON) — no
websocket library, no download.

For index.html and two agent pages (one holds a transcript with <script>, the other one with
an onerror attribute and {{ }}): the page renders (heading and title present), no console
message or error, no JavaScript exception or dialog, no network request besides the file
itself, the hostile transcript text is visible as text and none of it ran. A full-page
screenshot of each goes to <output>/screenshots/ and to /tmp/qa-shots/.

Skipped only when Chromium is missing and the CI variable is not set; under CI it must run.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from test_report_aggregate import KNOWN_AGENT, ONERROR, SCRIPT, SCRIPT_TITLE, report_run  # noqa: F401

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/qa-shots")
# exec Chromium with the pipe ends on fd 3 (commands in) and fd 4 (answers out)
TRAMPOLINE = (
    "import os, sys\n"
    "r, w = int(sys.argv[1]), int(sys.argv[2])\n"
    "os.dup2(r, 3); os.dup2(w, 4); os.close(r); os.close(w)\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)
CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    env = os.environ.get("CHROMIUM")
    if env and Path(env).exists():
        return env
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="module")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required under CI (install Debian's 'chromium' package)")
        pytest.skip("Chromium is not installed (apt-get install chromium); set CI=1 to make this a failure")
    return path


class CdpError(RuntimeError):
    pass


class Browser:
    """Headless Chromium with the DevTools protocol on a pipe."""

    def __init__(self, binary: str, profile: Path, timeout: float = 60.0):
        self.timeout = timeout
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        # move the child's ends to fd >= 10 so placing them on fd 3 and 4 cannot clobber either
        child_r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
        child_w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        args = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
            "--disable-features=Translate,MediaRouter,OptimizationHints", "--remote-debugging-pipe",
            f"--user-data-dir={profile}", "about:blank",
        ]
        self.proc = subprocess.Popen(
            [sys.executable, "-c", TRAMPOLINE, str(child_r), str(child_w), binary, *args],
            pass_fds=(child_r, child_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, start_new_session=True)
        os.close(child_r)
        os.close(child_w)
        self._out = os.fdopen(to_chrome_w, "wb", buffering=0)
        self._in = os.fdopen(from_chrome_r, "rb", buffering=0)
        self._messages: queue.Queue = queue.Queue()
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self._stderr: list[bytes] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _read(self) -> None:
        buf = b""
        while True:
            chunk = self._in.read(65536)
            if not chunk:
                self._messages.put(None)
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                self._messages.put(json.loads(raw))

    def _drain_stderr(self) -> None:
        for line in self.proc.stderr:
            self._stderr.append(line)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self._out.write(json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            item = self._next(deadline, method)
            if item.get("id") == self._next_id:
                if "error" in item:
                    raise CdpError(f"{method}: {item['error']}")
                return item.get("result", {})
            self._event(item)

    def _next(self, deadline: float, what: str) -> dict:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"Chromium did not answer {what} in {self.timeout:.0f} s")
        try:
            item = self._messages.get(timeout=remaining)
        except queue.Empty:
            raise TimeoutError(f"Chromium did not answer {what} in {self.timeout:.0f} s") from None
        if item is None:
            stderr = b"".join(self._stderr[-20:]).decode(errors="replace")
            raise CdpError(f"Chromium closed the pipe while waiting for {what}:\n{stderr}")
        return item

    def _event(self, item: dict) -> None:
        if "method" in item:
            self.events.append(item)
            if item["method"] == "Page.javascriptDialogOpening":  # never leave a dialog blocking the page
                self._out.write(json.dumps({"id": 10**6 + len(self.events), "method": "Page.handleJavaScriptDialog",
                                            "params": {"accept": False}, "sessionId": item.get("sessionId")}).encode()
                                + b"\0")

    def wait_event(self, method: str, session: str, timeout: float | None = None) -> dict:
        for e in self.events:
            if e["method"] == method and e.get("sessionId") == session:
                return e
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            item = self._next(deadline, method)
            if "id" in item:
                continue
            self._event(item)
            if item["method"] == method and item.get("sessionId") == session:
                return item

    def settle(self, seconds: float) -> None:
        """Collect events for a while (late console messages or requests)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                item = self._messages.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return
            if item is None:
                return
            if "method" in item:
                self._event(item)
            if time.monotonic() >= deadline:
                return

    def close(self) -> None:
        try:
            if self.proc.poll() is None:
                self._out.write(json.dumps({"id": 0, "method": "Browser.close", "params": {}}).encode() + b"\0")
                self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            pass
        finally:
            if self.proc.poll() is None:
                os.killpg(self.proc.pid, 9)  # the process group of the Chromium this test started
                self.proc.wait(timeout=10)
            for fh in (self._out, self._in):
                try:
                    fh.close()
                except OSError:
                    pass


def visit(browser: Browser, path: Path, shot: Path) -> dict[str, Any]:
    """Open a file in a fresh tab; return what happened."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Page", "Runtime", "Log", "Network"):
        browser.send(f"{domain}.enable", session=session)
    browser.send("Emulation.setDeviceMetricsOverride",
                 {"width": 1280, "height": 2000, "deviceScaleFactor": 1, "mobile": False}, session=session)
    start = len(browser.events)
    url = path.resolve().as_uri()
    browser.send("Page.navigate", {"url": url}, session=session)
    browser.wait_event("Page.loadEventFired", session)
    browser.settle(0.8)

    def js(expr: str) -> Any:
        res = browser.send("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=session)
        if "exceptionDetails" in res:
            raise CdpError(f"{expr}: {res['exceptionDetails']}")
        return res["result"].get("value")

    state = {
        "url": url,
        "title": js("document.title"),
        "h1": js("(document.querySelector('h1') || {}).textContent || ''"),
        "text": js("document.body.innerText"),
        "scripts": js("document.scripts.length"),
        "images": js("document.images.length"),
        "pwned": js("document.body.getAttribute('data-pwned')"),
        "svgs": js("document.querySelectorAll('svg').length"),
        "marks": js("Array.from(document.querySelectorAll('mark')).map(m => m.textContent)"),
        "height": js("Math.ceil(document.documentElement.scrollHeight)"),
        "width": js("Math.ceil(document.documentElement.scrollWidth)"),
    }
    height = min(max(int(state["height"] or 2000), 800), 8000)
    browser.send("Emulation.setDeviceMetricsOverride",
                 {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=session)
    png = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)
    data = base64.b64decode(png["data"])
    shot.parent.mkdir(parents=True, exist_ok=True)
    shot.write_bytes(data)
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / shot.name).write_bytes(data)
    except OSError:
        pass
    events = [e for e in browser.events[start:] if e.get("sessionId") == session]
    state["events"] = events
    state["requests"] = [e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"]
    state["console"] = [e["params"] for e in events if e["method"] == "Runtime.consoleAPICalled"]
    state["exceptions"] = [e["params"] for e in events if e["method"] == "Runtime.exceptionThrown"]
    state["log_errors"] = [e["params"]["entry"] for e in events
                           if e["method"] == "Log.entryAdded" and e["params"]["entry"].get("level") == "error"]
    state["dialogs"] = [e["params"] for e in events if e["method"] == "Page.javascriptDialogOpening"]
    state["shot"] = shot
    state["png_size"] = len(data)
    browser.send("Target.closeTarget", {"targetId": target})
    return state


@pytest.fixture(scope="module")
def visited(report_run, chromium_path, tmp_path_factory):
    out = report_run.out
    pages = {
        "index": out / "index.html",
        "grace": out / "agents" / "grace-o-neill.html",
        "anna": out / "agents" / "anna-weber.html",
    }
    browser = Browser(chromium_path, tmp_path_factory.mktemp("chromium-profile"))
    try:
        return {name: visit(browser, path, out / "screenshots" / f"{path.stem}.png") for name, path in pages.items()}
    finally:
        browser.close()


@pytest.mark.parametrize("name", ["index", "grace", "anna"])
def test_page_renders_quietly_and_offline(visited, name):
    s = visited[name]
    assert s["title"] and s["h1"], "title and heading rendered"
    assert s["width"] <= 1280, "no horizontal overflow on a laptop-sized window"
    assert s["console"] == [], f"console messages: {s['console']}"
    assert s["exceptions"] == [], f"JavaScript exceptions: {s['exceptions']}"
    assert s["log_errors"] == [], f"errors logged: {s['log_errors']}"
    assert s["dialogs"] == [], "a dialog opened: transcript script ran"
    assert s["requests"] == [s["url"]], f"network requests besides the page itself: {s['requests']}"
    assert s["scripts"] == 0 and s["images"] == 0
    assert s["shot"].is_file() and s["png_size"] > 10_000


def test_index_content(visited):
    s = visited["index"]
    assert s["title"].startswith("Coaching <b>W45–W48</b> & more")
    assert s["h1"] == "Coaching <b>W45–W48</b> & more"
    assert "Team overview" in s["text"] and KNOWN_AGENT in s["text"]
    assert s["svgs"] >= 5


def test_script_in_transcript_does_not_run(visited):
    s = visited["grace"]
    assert SCRIPT in s["text"] and SCRIPT_TITLE in s["text"], "shown as text"
    assert "pwned" not in s["title"] and s["title"].startswith(KNOWN_AGENT)
    assert s["h1"] == KNOWN_AGENT
    assert "That's our policy" in s["marks"]
    a = visited["anna"]
    assert ONERROR in a["text"] and "{{ 7*7 }}" in a["text"]
    assert a["pwned"] is None and a["images"] == 0
