#!/usr/bin/env python3
"""The multi_layer demo in a real browser: headless Chromium driven over
the W3C WebDriver protocol (chromedriver), with the standard library only.

Checks, in the browser's own cookie store and with its own fetch():
  - logging into the admin, tenant and operator areas sets three cookies;
  - every session cookie is HttpOnly; the operator's is scoped to /ops
    (the browser does not list it on /, and does on /ops/...);
  - the rename form leaves a flash notice shown once;
  - a cross-site form post (from another origin) is refused with 403 and
    changes nothing;
  - logging out clears a cookie, and the guarded page then answers 401.
Saves a screenshot of the demo page.

Usage: multi_layer.py SERVER_BINARY SCREENSHOT_PATH
Needs chromium and chromedriver on PATH (Debian: chromium, chromium-driver).
Everything binds 127.0.0.1; every wait is bounded.
"""

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

DEMO_PORT = 3931
DRIVER_PORT = 9531
DEMO = f"http://127.0.0.1:{DEMO_PORT}"
DRIVER = f"http://127.0.0.1:{DRIVER_PORT}"


def wait_for_port(port, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listening on 127.0.0.1:{port} after {seconds}s")


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        DRIVER + path, data=data, method=method,
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return json.loads(reply.read() or b"{}").get("value")
    except urllib.error.HTTPError as error:
        raise SystemExit(f"WebDriver {method} {path}: {error.read().decode()}")


class Browser:
    def __init__(self):
        binary = shutil.which("chromium") or "/usr/bin/chromium"
        options = {"binary": binary, "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", "--window-size=1000,1020"]}
        session = call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": options}}})
        self.base = f"/session/{session['sessionId']}"

    def go(self, url):
        call("POST", self.base + "/url", {"url": url})

    def find(self, css):
        element = call("POST", self.base + "/element",
                       {"using": "css selector", "value": css})
        return next(iter(element.values()))

    def click(self, css):
        call("POST", f"{self.base}/element/{self.find(css)}/click", {})

    def type_into(self, css, text):
        call("POST", f"{self.base}/element/{self.find(css)}/value", {"text": text})

    def text(self, css):
        return call("GET", f"{self.base}/element/{self.find(css)}/text")

    def cookies(self):
        return {c["name"]: c for c in call("GET", self.base + "/cookie")}

    def source(self):
        return call("GET", self.base + "/source")

    def screenshot(self, path):
        with open(path, "wb") as out:
            out.write(base64.b64decode(call("GET", self.base + "/screenshot")))

    def quit(self):
        call("DELETE", self.base)


def press(browser, path, expect):
    """Clicks the demo's button for `path` and waits (at most 10 s) for the
    output box to show `expect`."""
    browser.click(f"button[data-go='{path}']")
    deadline = time.monotonic() + 10
    out = ""
    while time.monotonic() < deadline:
        out = browser.text("#out")
        if path in out and expect in out:
            return out
        time.sleep(0.05)
    raise SystemExit(f"after {path}: expected {expect!r}, the page shows {out!r}")


def check(condition, message):
    if not condition:
        raise SystemExit("browser test failed: " + message)
    print("ok:", message)


def main():
    server_binary, screenshot = sys.argv[1], sys.argv[2]
    env = dict(os.environ, PORT=str(DEMO_PORT), SESSION_SEAL_ENV="development")
    env.pop("SESSION_SEAL_SECRET", None)
    server = subprocess.Popen([server_binary], env=env, stdout=subprocess.DEVNULL)
    driver = subprocess.Popen(
        ["chromedriver", f"--port={DRIVER_PORT}", "--allowed-ips=127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    browser = None
    try:
        wait_for_port(DEMO_PORT, 30)
        wait_for_port(DRIVER_PORT, 30)
        browser = Browser()
        browser.go(DEMO + "/")

        press(browser, "/admin/login/42", "admin 42 logged in")
        press(browser, "/tenant/login/42/acme-widgets", "working in tenant acme-widgets")
        press(browser, "/ops/login/ada", "operator ada on duty")
        at_root = browser.cookies()
        check({"admin_sid", "tenant_sid"} <= at_root.keys(),
              "admin and tenant cookies are set")
        check("ops_sid" not in at_root,
              "the operator cookie is not sent outside /ops")
        browser.go(DEMO + "/ops/whoami")
        at_ops = browser.cookies()
        check(at_ops.get("ops_sid", {}).get("path") == "/ops",
              "the operator cookie is scoped to Path=/ops")
        every = {**at_root, **at_ops}
        check(all(every[name]["httpOnly"] for name in
                  ("admin_sid", "tenant_sid", "ops_sid")),
              "every session cookie is HttpOnly")

        browser.go(DEMO + "/")
        browser.type_into("input[name=tenant]", "globex")
        browser.click("form button")
        out = ""
        deadline = time.monotonic() + 10
        while "globex" not in browser.text("#out") and time.monotonic() < deadline:
            time.sleep(0.05)
        out = browser.text("#out")
        check("tenant renamed to globex" in out,
              "the rename form leaves a notice for the page it redirects to")
        again = press(browser, "/tenant/whoami", "in tenant globex")
        check("renamed" not in again, "the notice is shown once")
        press(browser, "/sessions", "tenant: user 42 tenant globex")
        browser.screenshot(screenshot)

        # A form on another origin (a data: page) posting to the demo.
        attack = ("data:text/html,<form method=post action='" + DEMO +
                  "/tenant/rename'><input name=tenant value=evil></form>"
                  "<script>document.forms[0].submit()</script>")
        browser.go(attack)
        deadline = time.monotonic() + 10
        while DEMO not in call("GET", browser.base + "/url") and time.monotonic() < deadline:
            time.sleep(0.05)
        refused = browser.source()
        check("cross-origin" in refused.lower() or "403" in refused,
              "a cross-site form post is refused")
        browser.go(DEMO + "/tenant/whoami")
        check("evil" not in browser.source(), "the refused post changed nothing")

        browser.go(DEMO + "/")
        press(browser, "/ops/console", "console for operator ada")
        press(browser, "/admin/logout", "admin logged out")
        check("admin_sid" not in browser.cookies(), "logging out clears the cookie")
        press(browser, "/ops/logout", "operator logged out")
        out = press(browser, "/ops/console", "401")
        check(out.startswith("401"), "the guarded page answers 401 after logout")
    finally:
        if browser is not None:
            browser.quit()
        driver.terminate()
        server.terminate()
        driver.wait(10)
        server.wait(10)


if __name__ == "__main__":
    main()
