"""A small driver of headless Chromium through the Chrome DevTools Protocol over a pipe
(``--remote-debugging-pipe``: commands on the browser's fd 3, replies on its fd 4, each a JSON
message ended by a NUL byte), so the browser tests need no package beyond the standard library
and no network port.

    with Browser.launch() as browser:
        page = browser.open(url, width=1400, height=1000)
        page.evaluate("document.title")
        page.mouse("mouseMoved", 300, 200)
        png = page.screenshot()
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--remote-debugging-pipe"]


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class CDPError(RuntimeError):
    pass


class Browser:
    def __init__(self, process, to_browser: int, from_browser: int, profile: str):
        self.process, self.to_browser, self.from_browser, self.profile = process, to_browser, from_browser, profile
        self.next_id = 0
        self.replies: dict[int, dict] = {}
        self.events: list[dict] = []
        self.condition = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    @classmethod
    def launch(cls, executable: str | None = None) -> "Browser":
        executable = executable or find_chromium()
        if executable is None:
            raise FileNotFoundError("no chromium, chromium-browser or google-chrome on PATH")
        commands_read, commands_write = os.pipe()
        replies_read, replies_write = os.pipe()
        profile = tempfile.mkdtemp(prefix="seqlab-chromium-")

        def pipes_on_3_and_4():  # in the child, before exec
            os.dup2(commands_read, 3)
            os.dup2(replies_write, 4)

        process = subprocess.Popen([executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   pass_fds=(3, 4), preexec_fn=pipes_on_3_and_4)
        os.close(commands_read)
        os.close(replies_write)
        return cls(process, commands_write, replies_read, profile)

    def _read(self):
        buffer = b""
        while True:
            try:
                chunk = os.read(self.from_browser, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self.condition:
                    self.condition.notify_all()
                return
            buffer += chunk
            while b"\0" in buffer:
                message, buffer = buffer.split(b"\0", 1)
                data = json.loads(message)
                with self.condition:
                    if "id" in data:
                        self.replies[data["id"]] = data
                    else:
                        self.events.append(data)
                    self.condition.notify_all()

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 60.0) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self.condition:
            while self.next_id not in self.replies:
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    raise CDPError(f"no reply to {method} within {timeout} s")
                self.condition.wait(left)
            reply = self.replies.pop(self.next_id)
        if "error" in reply:
            raise CDPError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_event(self, method: str, session: str, timeout: float = 60.0) -> dict:
        deadline = time.monotonic() + timeout
        with self.condition:
            while True:
                for event in self.events:
                    if event.get("method") == method and event.get("sessionId") == session:
                        self.events.remove(event)
                        return event.get("params", {})
                left = deadline - time.monotonic()
                if left <= 0:
                    raise CDPError(f"no {method} event within {timeout} s")
                self.condition.wait(left)

    def open(self, url: str, width: int = 1400, height: int = 1000, timeout: float = 120.0) -> "Page":
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        self.send("Page.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                         "mobile": False}, session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_event("Page.loadEventFired", session, timeout)
        return page

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except (CDPError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.close(self.to_browser)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Page:
    def __init__(self, browser: Browser, session: str):
        self.browser, self.session = browser, session

    def evaluate(self, expression: str):
        """The value of a JavaScript expression (JSON-able; promises awaited)."""
        result = self.browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                        "awaitPromise": True}, session=self.session)
        if "exceptionDetails" in result:
            raise CDPError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def mouse(self, kind: str, x: float, y: float, button: str = "none", buttons: int = 0):
        """A real mouse event at viewport pixel (x, y): ``mouseMoved``, ``mousePressed``, ``mouseReleased``."""
        params = {"type": kind, "x": x, "y": y, "button": button, "buttons": buttons}
        if kind in ("mousePressed", "mouseReleased"):
            params["clickCount"] = 1
        self.browser.send("Input.dispatchMouseEvent", params, session=self.session)

    def drag(self, start: tuple, end: tuple, steps: int = 6):
        self.mouse("mouseMoved", *start)
        self.mouse("mousePressed", *start, button="left", buttons=1)
        for k in range(1, steps + 1):
            x = start[0] + (end[0] - start[0]) * k / steps
            y = start[1] + (end[1] - start[1]) * k / steps
            self.mouse("mouseMoved", x, y, button="left", buttons=1)
        self.mouse("mouseReleased", *end, button="left", buttons=0)

    def screenshot(self, full_page: bool = False) -> bytes:
        params = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            width, height = self.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params["clip"] = {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}
        return base64.b64decode(self.browser.send("Page.captureScreenshot", params, session=self.session)["data"])
