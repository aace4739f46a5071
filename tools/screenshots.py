"""Screenshots of Odoo screens in headless Chromium, for the README.

Logs into a running Odoo, opens each screen of SHOTS in Chromium (driven
through the DevTools protocol with websocket-client), waits until a CSS
selector shows the screen rendered and saves a PNG per screen and viewport.

    python tools/screenshots.py --url http://localhost:8069 --db customer_abc_demo \\
        --login admin --password admin --out docs/screenshots [--only cockpit ...]

Add a screen by adding a Shot to SHOTS: a name, a URL path (``{name}``
placeholders are filled by RESOLVERS, e.g. a record id asked to the server)
and the selector to wait for.  Files are ``<out>/<name>-<viewport>.png``;
desktop shots take the whole scrollable page (``--full-page``), and are
reduced to 256 colours when Pillow is installed.
Not shipped in the addon; needs ``requests`` and ``websocket-client``.
"""

import argparse
import base64
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace

import requests
import websocket


@dataclass(frozen=True)
class Shot:
    name: str
    path: str
    #: CSS selector present once the screen is rendered
    ready: str
    #: then, in order: (JavaScript to run, CSS selector to wait for)
    steps: tuple = ()


def _click(selector, text=None):
    """JavaScript clicking the first element matching ``selector`` (and containing ``text``)."""
    match = f"&& e.textContent.includes({json.dumps(text)})" if text else ""
    return (
        f"(() => {{ const e = [...document.querySelectorAll({json.dumps(selector)})].find(e => true {match});"
        " if (e) { e.scrollIntoView({block: 'center'}); e.click(); } return !!e; })()"
    )


def _scroll_to(selector):
    return f"document.querySelector({json.dumps(selector)}).scrollIntoView({{block: 'start'}})"


_SELECT_ROWS = (
    "(() => { const boxes = [...document.querySelectorAll('.o_data_row .o_list_record_selector input')].slice(0, 12);"
    " boxes.forEach(b => b.click()); return boxes.length; })()"
)


# the screens of the README; ``{top_customer}`` is resolved below
SHOTS = [
    Shot("cockpit", "/odoo/customer-cockpit", ".o_abc_cockpit .o_abc_chart[data-chart=lifecycle] canvas"),
    Shot(
        "portrait", "/odoo/customer-portrait/{top_customer}", ".o_abc_portrait .o_abc_chart[data-chart=monthly] canvas"
    ),
    Shot("analysis", "/odoo/action-customer_abc.customer_abc_profile_action", ".o_list_renderer .o_data_row"),
    Shot(
        "profile",
        "/odoo/action-customer_abc.customer_abc_profile_action/{top_profile}",
        ".o_form_view .o_field_widget[name=strategy]",
    ),
    Shot(
        "partner",
        "/odoo/action-base.action_partner_form/{top_customer}",
        ".o_form_view .o_notebook .nav-link",
        steps=((_click(".o_notebook .nav-link", "ABC"), ".o_field_widget[name=abc_history_ids] .o_data_row"),),
    ),
    Shot(
        "settings",
        "/odoo/action-customer_abc.customer_abc_config_settings_action",
        "#customer_abc_method",
        steps=((_scroll_to("#customer_abc_method"), "#customer_abc_thresholds"),),
    ),
    Shot(
        "coupon-wizard",
        "/odoo/action-customer_abc.customer_abc_profile_action",
        ".o_list_renderer .o_data_row",
        steps=(
            # Odoo 18: the "Actions" dropdown of the control panel; 19: the selection box and its actions menu
            (_SELECT_ROWS, ".o_list_unselect_all, .o_selection_box"),
            (
                _click(".o_control_panel button.dropdown-toggle, .o_cp_action_menus button.dropdown-toggle", "Actions"),
                ".o-dropdown--menu .dropdown-item",
            ),
            (_click(".o-dropdown--menu .dropdown-item", "Issue coupons"), ".modal .o_field_widget[name=line_ids]"),
        ),
    ),
    Shot("playbook-results", "/odoo/action-customer_abc.customer_abc_action_action", ".o_pivot table"),
    Shot("playbook-uplift", "/odoo/playbook-uplift", ".o_abc_playbook_uplift table"),
    Shot("runs", "/odoo/action-customer_abc.customer_abc_run_action", ".o_list_renderer .o_data_row"),
]

VIEWPORTS = {
    "desktop": (1440, 900),
    "narrow": (420, 900),
}

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--remote-allow-origins=*",
]


def _smaller_png(data):
    """The PNG ``data`` in 256 colours, when Pillow is there (a third of the size)."""
    try:
        from PIL import Image  # optional: Odoo needs Pillow, a bare venv may not have it
    except ImportError:
        return data
    image = Image.open(io.BytesIO(data)).convert("RGB").quantize(colors=256)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue() if buffer.tell() < len(data) else data


class OdooSession:
    """A logged-in JSON-RPC session (the cookie is handed to the browser)."""

    def __init__(self, url, db, login, password):
        self.url = url.rstrip("/")
        self.http = requests.Session()
        reply = self.http.post(
            f"{self.url}/web/session/authenticate",
            json={"jsonrpc": "2.0", "method": "call", "params": {"db": db, "login": login, "password": password}},
            timeout=60,
        )
        reply.raise_for_status()
        body = reply.json()
        if body.get("error") or not body.get("result", {}).get("uid"):
            sys.exit(f"screenshots: cannot log in as {login} on {db}: {body.get('error', body)}")
        self.session_id = self.http.cookies.get("session_id")
        self.uid = body["result"]["uid"]

    def call(self, model, method, *args, **kwargs):
        reply = self.http.post(
            f"{self.url}/web/dataset/call_kw/{model}/{method}",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
            },
            timeout=120,
        )
        reply.raise_for_status()
        body = reply.json()
        if body.get("error"):
            raise RuntimeError(body["error"])
        return body["result"]


def _top_customer(session):
    top = session.call("customer.abc.cockpit", "get_cockpit_data").get("top_customers") or []
    if not top:
        sys.exit("screenshots: no graded customer with sales; classify first")
    return top[0]["partner_id"]


def _top_profile(session):
    found = session.call("customer.abc.profile", "search", [("grade", "=", "A")], limit=1)
    if not found:
        raise SystemExit("screenshots: no grade A customer to show")
    return found[0]


#: placeholder -> function(session) giving its value
RESOLVERS = {"top_customer": _top_customer, "top_profile": _top_profile}


class Browser:
    """Headless Chromium and one page, driven through the DevTools protocol."""

    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="abc_screenshots_")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command = [binary, *CHROMIUM_FLAGS, f"--remote-debugging-port={port}", f"--user-data-dir={self.profile}"]
        self.process = subprocess.Popen(
            [*command, "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.socket = websocket.create_connection(self._page_socket_url(port), timeout=60)
        self.next_id = 0

    def _page_socket_url(self, port):
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                targets = requests.get(f"http://127.0.0.1:{port}/json", timeout=2).json()
                pages = [target for target in targets if target.get("type") == "page"]
                if pages:
                    return pages[0]["webSocketDebuggerUrl"]
            except (requests.ConnectionError, ValueError):
                pass
            time.sleep(0.2)
        self.close()
        sys.exit("screenshots: Chromium did not open its DevTools port")

    def send(self, method, **params):
        """Call a DevTools method and return its result (events are skipped)."""
        self.next_id += 1
        call_id = self.next_id
        self.socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, selector, timeout=60):
        deadline = time.time() + timeout
        check = f"!!document.querySelector({json.dumps(selector)})"
        while time.time() < deadline:
            if self.evaluate(check):
                return True
            time.sleep(0.25)
        return False

    def close(self):
        try:
            self.socket.close()
        except (AttributeError, websocket.WebSocketException):
            pass
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def take(browser, session, shot, url, viewports, out, settle, hide, full_page):
    """Capture ``shot`` at ``url`` in every viewport; return the files written."""
    written = []
    for viewport in viewports:
        width, height = VIEWPORTS[viewport]
        browser.send(
            "Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False
        )
        browser.send("Page.navigate", url=url)
        time.sleep(0.5)
        if not browser.wait_for(shot.ready):
            print(f"screenshots: {shot.name} ({viewport}): {shot.ready!r} never appeared", file=sys.stderr)
            continue
        time.sleep(settle)
        if not all(browser.evaluate(script) is not False and browser.wait_for(ready) for script, ready in shot.steps):
            print(f"screenshots: {shot.name} ({viewport}): a step did not complete", file=sys.stderr)
            continue
        if hide:
            # e.g. notifications that pop up over the screen
            browser.evaluate(
                "(() => { const style = document.createElement('style');"
                f" style.textContent = {json.dumps(hide)} + ' {{ display: none !important; }}';"
                " document.head.appendChild(style); })()"
            )
        time.sleep(settle)
        if viewport in full_page:
            # Odoo scrolls inside .o_content: grow the window to the content's height
            extra = browser.evaluate(
                "(() => { const c = document.querySelector('.o_action_manager .o_content');"
                " return c ? c.scrollHeight - c.clientHeight : 0; })()"
            )
            if extra and extra > 0:
                browser.send(
                    "Emulation.setDeviceMetricsOverride",
                    width=width,
                    height=min(height + int(extra), 6000),
                    deviceScaleFactor=1,
                    mobile=False,
                )
                time.sleep(settle)
        data = base64.b64decode(browser.send("Page.captureScreenshot", format="png")["data"])
        path = os.path.join(out, f"{shot.name}-{viewport}.png")
        with open(path, "wb") as handle:
            handle.write(_smaller_png(data))
        written.append(path)
        print(f"screenshots: {path}")
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://localhost:8069", help="base URL of the running Odoo")
    parser.add_argument("--db", required=True)
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--only", nargs="*", help="names of SHOTS to take (default: all)")
    parser.add_argument("--viewports", nargs="*", default=list(VIEWPORTS), choices=list(VIEWPORTS))
    parser.add_argument(
        "--full-page",
        nargs="*",
        default=["desktop"],
        choices=list(VIEWPORTS),
        help="viewports captured with their whole scrollable content (the others: one screen)",
    )
    parser.add_argument("--suffix", default="", help="appended to each file name, e.g. -zh_CN")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds to wait once rendered")
    parser.add_argument("--lang", help="language of the user for the screenshots, e.g. en_US (restored afterwards)")
    parser.add_argument(
        "--hide", default=".o_notification_manager", help="CSS selectors hidden before capturing (comma-separated)"
    )
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()

    shots = [shot for shot in SHOTS if not args.only or shot.name in args.only]
    if not shots:
        sys.exit(f"screenshots: nothing to take; known: {', '.join(shot.name for shot in SHOTS)}")
    os.makedirs(args.out, exist_ok=True)
    session = OdooSession(args.url, args.db, args.login, args.password)
    values = {}
    previous_lang = None
    if args.lang:
        previous_lang = session.call("res.users", "read", [session.uid], ["lang"])[0]["lang"]
        session.call("res.users", "write", [session.uid], {"lang": args.lang})
    browser = Browser(args.chromium)
    written = []
    try:
        browser.send("Page.enable")
        browser.send("Network.enable")
        browser.send("Network.setCookie", name="session_id", value=session.session_id, url=session.url)
        for shot in shots:
            for placeholder, resolve in RESOLVERS.items():
                if f"{{{placeholder}}}" in shot.path and placeholder not in values:
                    values[placeholder] = resolve(session)
            url = session.url + shot.path.format(**values)
            named = replace(shot, name=shot.name + args.suffix)
            written += take(
                browser, session, named, url, args.viewports, args.out, args.settle, args.hide, args.full_page
            )
    finally:
        browser.close()
        if previous_lang and previous_lang != args.lang:
            session.call("res.users", "write", [session.uid], {"lang": previous_lang})
    if len(written) < len(shots) * len(args.viewports):
        sys.exit(1)


if __name__ == "__main__":
    main()
