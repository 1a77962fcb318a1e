"""A real browser through a real gateway: Debian's headless Chromium opens an internal app's pages
that Debian's nginx protects with `auth_request` to RoleSync's /gateway/check (issue #25's browser
mode, docs/gateways.md).

`scripts/browser-gateway-test` starts nanoidp, `rolesync serve`, the app and nginx (TLS for
id.rolesync.test and app.rolesync.test) and runs this file:

    .venv/bin/python -m unittest -v Tests/Browser/test_gateway.py

Environment (all set by the script):
    ROLESYNC_GATEWAY_URL   the app behind nginx, https://app.rolesync.test:PORT
    ROLESYNC_SIGNIN_URL    RoleSync behind nginx, https://id.rolesync.test:PORT (its public_url)
    ROLESYNC_GATEWAY_CERT  the gateway's certificate, trusted by its public key only
    ROLESYNC_BINARY, ROLESYNC_CONFIG
                           the `rolesync` and the configuration `serve` runs with (an operator's
                           offboarding, mid-test)
    NANOIDP_URL, NANOIDP_TLS, ROLESYNC_SCREENSHOTS
                           as for test_dashboard.py

Steps 2 and 4 build on step 1 (Carol signed in through the gateway); a step whose prerequisite
did not finish is skipped and names it. Chromium maps *.rolesync.test to 127.0.0.1 and resolves
nothing else but loopback.
"""

import base64
import hashlib
import os
import subprocess
import sys
import unittest
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import test_dashboard as ui  # noqa: E402  (its helpers; its tests are not collected from here)
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

GATEWAY_URL = os.environ.get("ROLESYNC_GATEWAY_URL", "https://app.rolesync.test:18292").rstrip("/")
SIGNIN_URL = os.environ.get("ROLESYNC_SIGNIN_URL", "https://id.rolesync.test:18292").rstrip("/")
GATEWAY_CERT = os.environ.get("ROLESYNC_GATEWAY_CERT", "")
BINARY = os.environ.get("ROLESYNC_BINARY", "")
CONFIG = os.environ.get("ROLESYNC_CONFIG", "")


def spki_hash(pem):
    """base64(SHA-256(SubjectPublicKeyInfo)) of a certificate, for --ignore-certificate-errors-spki-list."""
    if not Path(pem).is_file():
        raise AssertionError(f"the gateway's certificate {pem!r} is missing: run scripts/browser-gateway-test")
    key = subprocess.run(["openssl", "x509", "-in", pem, "-noout", "-pubkey"], check=True, capture_output=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=key, check=True, capture_output=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def new_driver():
    """A fresh headless Chromium (its own profile: no cookies) that finds the two gateway hosts on
    loopback and trusts exactly the gateway's and nanoidp's keys."""
    options = webdriver.ChromeOptions()
    options.binary_location = ui.CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--host-resolver-rules=MAP *.rolesync.test 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
        "--ignore-certificate-errors-spki-list=" + ",".join([spki_hash(GATEWAY_CERT), ui.nanoidp_spki_hash()]),
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(ui.CHROMEDRIVER))
    driver.set_page_load_timeout(ui.WAIT * 2)
    return driver


def sign_in_at_nanoidp(driver, user, password, opened):
    """The browser, having opened `opened` signed out, must be at nanoidp's login form; signs in."""

    def login_form(d):
        if d.current_url.startswith(GATEWAY_URL + "/") and d.execute_script("return document.readyState") == "complete":
            raise AssertionError(f"opening {opened} signed out showed the page instead of sending the browser to sign in{ui.describe(d)}")
        return d.current_url.startswith(ui.NANOIDP_URL + "/authorize") and d.find_element(By.CSS_SELECTOR, "form #username")

    ui.wait_for(driver, login_form, f"nanoidp's login form after opening {opened} signed out")
    # On the way, the browser went through RoleSync's sign-in with the page to return to.
    form = driver.find_element(By.CSS_SELECTOR, "form:has(#username)")
    form.find_element(By.CSS_SELECTOR, "input#username").send_keys(user)
    form.find_element(By.CSS_SELECTOR, "input#password").send_keys(password)
    ui.click_and_load(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"), "nanoidp's Authorize button")


def on_page(driver, url):
    return driver.current_url == url and driver.execute_script("return document.readyState") == "complete"


def app_shows(driver, header):
    return driver.find_element(By.ID, header.lower()).text.strip()


class BrowserThroughGateway(unittest.TestCase):
    """Carol (role user) and Alice (super_admin) of examples/local/nanoidp/users.yaml."""

    drivers = {}
    state = {}

    @classmethod
    def tearDownClass(cls):
        drivers, cls.drivers = cls.drivers, {}
        for driver in drivers.values():
            driver.quit()

    def need(self, *keys):
        """Skips this step when an earlier one it builds on did not finish."""
        missing = [key for key in keys if key not in self.state]
        if missing:
            self.skipTest(f"an earlier step did not finish: needs {', '.join(missing)}")

    @classmethod
    def browser(cls, who):
        if who not in cls.drivers:
            cls.drivers[who] = new_driver()
        return cls.drivers[who]

    def test_1_a_page_sends_the_browser_through_sign_in_and_back(self):
        carol = self.browser("carol")
        page = GATEWAY_URL + "/app/reports/weekly?team=ml&from=now-7d"
        ui.drain_statuses(carol)
        carol.get(page)
        sign_in_at_nanoidp(carol, ui.CAROL[0], ui.CAROL[1], page)
        ui.wait_for(carol, lambda d: on_page(d, page), f"landing on {page} after signing in")
        ui.wait_h1(carol, "Internal app")
        self.assertEqual(app_shows(carol, "path"), "/app/reports/weekly?team=ml&from=now-7d")
        self.assertEqual(app_shows(carol, "X-RoleSync-Email"), ui.CAROL[3])
        self.assertEqual(app_shows(carol, "X-RoleSync-Role"), "user")
        self.assertRegex(app_shows(carol, "X-RoleSync-User-Id"), r"^[1-9][0-9]*$")
        # One session cookie for both hosts: __Secure- (not __Host-), the cookie domain's, HttpOnly, Lax.
        sessions = [c for c in carol.get_cookies() if c["name"].startswith("__Secure-")]
        self.assertEqual(len(sessions), 1, carol.get_cookies())
        cookie = sessions[0]
        self.assertIn(cookie["domain"], (".rolesync.test", "rolesync.test"))
        self.assertTrue(cookie["secure"] and cookie["httpOnly"], cookie)
        self.assertEqual(cookie.get("sameSite"), "Lax", cookie)
        ui.shot(carol, "gateway-app-signed-in")
        # Another page of the app: no sign-in this time.
        ui.drain_statuses(carol)
        carol.get(GATEWAY_URL + "/app/dashboards/42")
        ui.wait_for(carol, lambda d: on_page(d, GATEWAY_URL + "/app/dashboards/42"), "the app's second page, signed in")
        self.assertEqual(ui.document_status(carol), 200)
        self.assertEqual(app_shows(carol, "X-RoleSync-Email"), ui.CAROL[3])
        self.state["carol"] = True  # signed in through the gateway

    def test_2_a_role_not_allowed_gets_the_403_page(self):
        self.need("carol")
        carol = self.browser("carol")
        ui.drain_statuses(carol)
        carol.get(GATEWAY_URL + "/ops/audit")
        ui.wait_for(carol, lambda d: d.execute_script("return document.readyState") == "complete", "the /ops/ answer")
        self.assertEqual(ui.document_status(carol), 403)
        self.assertEqual(carol.current_url, GATEWAY_URL + "/ops/audit", "a signed-in browser of the wrong role is not sent to sign in")
        # RoleSync's page, which nginx asks for (error_page 403): the role, and whom to ask.
        ui.wait_h1(carol, "Not for your role")
        text = carol.find_element(By.TAG_NAME, "body").text
        self.assertIn(f"You are signed in as {ui.CAROL[3]} with the role user", text)
        self.assertIn("Ask an administrator", text)
        self.assertFalse(ui.present(carol, "#x-rolesync-email"), "the app must not be shown")
        ui.shot(carol, "gateway-forbidden")

    def test_3_an_allowed_role_opens_the_restricted_page(self):
        alice = self.browser("alice")
        page = GATEWAY_URL + "/ops/audit?since=2026-12-01"
        alice.get(page)
        sign_in_at_nanoidp(alice, ui.ALICE[0], ui.ALICE[1], page)
        ui.wait_for(alice, lambda d: on_page(d, page), f"landing on {page} after signing in")
        self.assertEqual(app_shows(alice, "X-RoleSync-Email"), ui.ALICE[3])
        self.assertEqual(app_shows(alice, "X-RoleSync-Role"), "super_admin")

    def test_4_a_leaver_is_cut_off_on_the_next_page(self):
        if not (BINARY and CONFIG):
            raise AssertionError("ROLESYNC_BINARY and ROLESYNC_CONFIG must name serve's rolesync and configuration")
        self.need("carol")
        carol = self.browser("carol")
        carol.get(GATEWAY_URL + "/app/")
        ui.wait_for(carol, lambda d: on_page(d, GATEWAY_URL + "/app/"), "the app, still signed in")
        offboarded = subprocess.run(
            [BINARY, "users", "offboard", ui.CAROL[3], "--reason", "left the company (browser gateway test)", "--config", CONFIG],
            capture_output=True,
            text=True,
        )
        self.assertEqual(offboarded.returncode, 0, offboarded.stderr)
        ui.drain_statuses(carol)
        carol.get(GATEWAY_URL + "/app/")
        # Sent to sign in again; nanoidp still knows her, but RoleSync refuses an inactive user.
        ui.wait_for(
            carol,
            lambda d: not d.current_url.startswith(GATEWAY_URL + "/") and d.execute_script("return document.readyState") == "complete",
            "the offboarded browser sent away from the app",
        )
        self.assertFalse(carol.current_url.startswith(GATEWAY_URL), carol.current_url)
        self.assertFalse(ui.present(carol, "#x-rolesync-email"), f"the app was shown to a leaver{ui.describe(carol)}")
        parsed = urllib.parse.urlsplit(carol.current_url)
        self.assertIn(f"{parsed.scheme}://{parsed.netloc}", (SIGNIN_URL, ui.NANOIDP_URL), ui.describe(carol))
        # Signing in again at the IdP does not bring her back: RoleSync refuses an offboarded user.
        if carol.current_url.startswith(ui.NANOIDP_URL + "/authorize"):
            sign_in_at_nanoidp(carol, ui.CAROL[0], ui.CAROL[1], GATEWAY_URL + "/app/")
        ui.wait_for(carol, lambda d: d.current_url.startswith(SIGNIN_URL + "/auth/"), "RoleSync's answer to the leaver's sign-in")
        ui.wait_h1(carol, "Sign-in refused")
        self.assertFalse(carol.current_url.startswith(GATEWAY_URL), carol.current_url)
        ui.shot(carol, "gateway-leaver")


if __name__ == "__main__":
    unittest.main()
