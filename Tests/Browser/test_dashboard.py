"""The Admin Dashboard and the Console in a real browser: Debian's Chromium (headless) driven by
selenium through Debian's chromedriver, against `rolesync serve` signed in through nanoidp.

`scripts/browser-test` starts nanoidp and `rolesync serve` on a scratch ledger and runs this file:

    .venv/bin/python -m unittest -v Tests/Browser/test_dashboard.py

Environment:
    ROLESYNC_URL           the running `rolesync serve` (default http://127.0.0.1:18280); its ledger must
                           start empty, and its mapping must be examples/local/mappings/nanoidp.yaml
    NANOIDP_URL            the running nanoidp, RoleSync's only provider (default https://127.0.0.1:8443)
    NANOIDP_TLS            nanoidp's TLS folder: ca.pem and server.pem (default .local/nanoidp/tls)
    ROLESYNC_SCREENSHOTS   a folder to save PNG screenshots of the main pages into (optional)
    ROLESYNC_WINDOW        the browser window, WIDTHxHEIGHT (default 1280x900; 390x844 is a phone)
    CHROMIUM, CHROMEDRIVER the browser and its driver (default /usr/bin/chromium, /usr/bin/chromedriver)

The steps build on each other (one ledger, in order: test_01 … test_10); a step whose
prerequisite failed is skipped and names it. selenium-manager never runs: both paths are explicit.
Chromium resolves no host but 127.0.0.1 (nanoidp's pages link a CDN), and trusts nanoidp's test
certificate by its public key only (--ignore-certificate-errors-spki-list), so no other
certificate error is ignored.
"""

import base64
import csv
import hashlib
import io
import json
import os
import ssl
import subprocess
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

os.environ.setdefault("SE_OFFLINE", "true")  # belt and braces: selenium-manager must not download

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import (  # noqa: E402
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
ROLESYNC_URL = os.environ.get("ROLESYNC_URL", "http://127.0.0.1:18280").rstrip("/")
NANOIDP_URL = os.environ.get("NANOIDP_URL", "https://127.0.0.1:8443").rstrip("/")
NANOIDP_TLS = Path(os.environ.get("NANOIDP_TLS", REPO / ".local/nanoidp/tls"))
MANAGEMENT_SECRET = os.environ.get("NANOIDP_MANAGEMENT_SECRET", "local-management-secret")
SCREENSHOTS = os.environ.get("ROLESYNC_SCREENSHOTS") or None
WINDOW = os.environ.get("ROLESYNC_WINDOW", "1280x900").replace("x", ",")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
WAIT = float(os.environ.get("BROWSER_TEST_WAIT", "15"))

# The people of examples/local/nanoidp/users.yaml.
ALICE = ("alice", "alice-pw", "Alice Admin", "alice@example.org")
CAROL = ("carol", "carol-pw", "Carol Contractor", "carol@example.org")

# ---------------------------------------------------------------------------------------------
# Helpers. They raise (AssertionError with what the page showed) on failure; none swallows one.
# ---------------------------------------------------------------------------------------------


def nanoidp_spki_hash():
    """base64(SHA-256(SubjectPublicKeyInfo)) of nanoidp's server certificate, for Chromium's
    --ignore-certificate-errors-spki-list: only that key's certificate errors are ignored."""
    pem = NANOIDP_TLS / "server.pem"
    if not pem.is_file():
        raise AssertionError(f"nanoidp's certificate {pem} is missing: start it with scripts/peers/nanoidp start")
    der = subprocess.run(
        ["openssl", "x509", "-in", str(pem), "-noout", "-pubkey"], check=True, capture_output=True
    ).stdout
    spki = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=der, check=True, capture_output=True).stdout
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def new_driver():
    """A fresh headless Chromium: its own profile, so no cookies of any other session."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            raise AssertionError(f"{path} is missing: install Debian's chromium and chromium-driver (scripts/dev setup)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        f"--window-size={WINDOW}",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        # Only loopback: nanoidp's pages link Bootstrap on a CDN; the tests must not need the network.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
        # nanoidp's certificate comes from a test CA: trust exactly its key, nothing else.
        "--ignore-certificate-errors-spki-list=" + nanoidp_spki_hash(),
    ):
        options.add_argument(flag)
    # Headless Chromium's window is at least 500 px wide: narrower (a phone) is emulated.
    width, height = (int(v) for v in WINDOW.split(","))
    if width < 500:
        options.add_experimental_option(
            "mobileEmulation", {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0}}
        )
    # The performance log carries each document's HTTP status (document_status).
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(WAIT * 2)
    return driver


def describe(driver):
    """Where the browser is and what it shows, for failure messages."""
    try:
        url = driver.current_url
        facts = driver.execute_script(
            """
            const text = (sel) => { const e = document.querySelector(sel); return e ? e.innerText.trim() : null; };
            return {title: document.title, h1: text('h1'), notice: text('#notice'), error: text('#error'),
                    body: document.body ? document.body.innerText.trim().slice(0, 600) : ''};
            """
        )
    except Exception as error:  # the description itself failed: say so, the caller still raises
        return f"(cannot describe the page: {error!r})"
    return (
        f"\n  url: {url}\n  title: {facts['title']!r}\n  h1: {facts['h1']!r}\n  #notice: {facts['notice']!r}"
        f"\n  #error: {facts['error']!r}\n  page text: {facts['body']!r}"
    )


def wait_for(driver, condition, what, timeout=None):
    """Waits until condition(driver) is truthy and returns it; elements replaced mid-check are retried."""
    try:
        return WebDriverWait(
            driver, timeout or WAIT, poll_frequency=0.1, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
        ).until(condition)
    except TimeoutException:
        raise AssertionError(f"timed out after {timeout or WAIT}s waiting for {what}{describe(driver)}") from None


def find(driver, css):
    """The one element matching css, waiting for it to appear."""
    return wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, css), f"an element {css}")


def present(driver, css):
    return len(driver.find_elements(By.CSS_SELECTOR, css)) > 0


def path_and_query(driver):
    parsed = urllib.parse.urlsplit(driver.current_url)
    return parsed.path, urllib.parse.parse_qs(parsed.query, keep_blank_values=True)


def on_rolesync(driver, path):
    """The browser shows ROLESYNC_URL + path (query ignored), fully loaded."""
    url = driver.current_url
    return (
        url.startswith(ROLESYNC_URL + "/")
        and urllib.parse.urlsplit(url).path == path
        and driver.execute_script("return document.readyState") == "complete"
    )


def wait_page(driver, path, h1=None):
    """Waits for a page of RoleSync's at path, and (when given) its h1."""
    wait_for(driver, lambda d: on_rolesync(d, path), f"the page {path}")
    if h1 is not None:
        wait_h1(driver, h1)
        assert_fits(driver)


def assert_fits(driver):
    """The page is no wider than the window: a wide table scrolls by itself, never the page (at a
    phone's width an overflowing page is zoomed out, and a click lands beside its target)."""
    wide = driver.execute_script(
        """const root = document.documentElement;
        if (root.scrollWidth <= root.clientWidth) return null;
        let widest = null;
        for (const e of document.querySelectorAll('body *')) {
            const right = e.getBoundingClientRect().right;
            if (right > root.clientWidth && (!widest || right > widest[1])) widest = [e.outerHTML.slice(0, 160), right];
        }
        return [root.scrollWidth, root.clientWidth, widest];"""
    )
    if wide is not None:
        raise AssertionError(f"the page is {wide[0]} px wide in a {wide[1]} px window; the widest element: {wide[2]}{describe(driver)}")


def wait_h1(driver, text):
    wait_for(driver, lambda d: d.find_element(By.TAG_NAME, "h1").text.strip() == text, f"<h1>{text}</h1>")


def click_and_load(driver, element, what):
    """Clicks element and waits until it has led to a new document, fully loaded (the old page's
    <html> is gone), wherever that is: a link, or a form's submit button."""
    old = driver.find_element(By.TAG_NAME, "html")
    element.click()

    def replaced(d):
        try:
            old.tag_name
            return False
        except StaleElementReferenceException:
            pass
        except WebDriverException as error:
            # Mid-navigation Chromium may answer "Node with given id does not belong to the
            # document" instead of a stale reference: the old page is gone all the same.
            if "does not belong to the document" not in str(error):
                raise
        try:
            return d.execute_script("return document.readyState") == "complete"
        except WebDriverException:
            return False  # the new document is not ready to run script yet

    try:
        WebDriverWait(driver, WAIT, poll_frequency=0.1).until(replaced)
    except TimeoutException:
        raise AssertionError(f"timed out after {WAIT}s waiting for {what} to load a new page{describe(driver)}") from None


def go(driver, path, h1=None):
    """Opens ROLESYNC_URL + path (a GET, like typing it in the address bar)."""
    driver.get(ROLESYNC_URL + path)
    wait_page(driver, urllib.parse.urlsplit(path).path, h1)


def sign_in(driver, user, password, path="/admin/users", lands_on=None):
    """Signed out, opens path, which must send the browser to nanoidp's login form; fills it in
    and waits to land back on RoleSync at lands_on (default: path without its query)."""
    driver.get(ROLESYNC_URL + path)

    def login_form(d):
        if d.current_url.startswith(ROLESYNC_URL + "/") and d.execute_script("return document.readyState") == "complete":
            raise AssertionError(f"opening {path} signed out did not lead to nanoidp's login form{describe(d)}")
        return d.current_url.startswith(NANOIDP_URL + "/authorize") and d.find_element(By.CSS_SELECTOR, "form #username")

    wait_for(driver, login_form, f"nanoidp's login form after opening {path} signed out")
    form = driver.find_element(By.CSS_SELECTOR, "form:has(#username)")
    if not form.find_elements(By.CSS_SELECTOR, "input[type=hidden][name=transaction_id]"):
        raise AssertionError(f"nanoidp's login form has no transaction_id{describe(driver)}")
    username = form.find_element(By.CSS_SELECTOR, "input#username[name=username]")
    secret = form.find_element(By.CSS_SELECTOR, "input#password[name=password][type=password]")
    username.send_keys(user)
    secret.send_keys(password)
    click_and_load(driver, form.find_element(By.CSS_SELECTOR, "button[type=submit]"), "nanoidp's Authorize button")
    target = lands_on or urllib.parse.urlsplit(path).path
    wait_for(driver, lambda d: on_rolesync(d, target), f"landing back on {target} after signing in as {user}")


def shot(driver, name):
    """Saves a screenshot NAME.png into ROLESYNC_SCREENSHOTS, when that is set."""
    if not SCREENSHOTS:
        return
    os.makedirs(SCREENSHOTS, exist_ok=True)
    file = os.path.join(SCREENSHOTS, name + ".png")
    if not driver.save_screenshot(file):
        raise AssertionError(f"could not save the screenshot {file}")


def drain_statuses(driver):
    """Forgets the performance log so far (document_status then sees only what follows)."""
    driver.get_log("performance")


def document_status(driver):
    """The HTTP status of the last document the browser received since drain_statuses."""
    last = None
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.responseReceived" and message["params"].get("type") == "Document":
            last = message["params"]["response"]
    if last is None:
        raise AssertionError(f"no document was received since the last check{describe(driver)}")
    return last["status"]


def no_reload_marker(driver):
    """Marks the current document; still_same_document tells whether it was replaced since."""
    driver.execute_script("window.__noReload = 1")


def still_same_document(driver):
    return driver.execute_script("return window.__noReload") == 1


def type_slowly(element, text):
    """Types text key by key, as a person does (each key fires its own input event)."""
    for character in text:
        element.send_keys(character)


def rows(driver, tbody, must=True):
    """The rows of tbody at this instant: {id, cls, cells: [text…], links: [(text, href)…]}.
    Without tbody on the page: raises, or None when must is false (for waits)."""
    found = driver.execute_script(
        """
        const body = document.querySelector(arguments[0]);
        if (!body) return null;
        return Array.from(body.rows).map(tr => ({
            id: tr.dataset.userId || tr.dataset.keyId || null,
            cls: tr.className,
            cells: Array.from(tr.cells).map(td => td.innerText.trim()),
            links: Array.from(tr.querySelectorAll('a')).map(a => [a.innerText.trim(), a.getAttribute('href')]),
        }));
        """,
        tbody,
    )
    if found is None and must:
        raise AssertionError(f"no {tbody} on the page{describe(driver)}")
    return found


def settled_rows(driver, tbody):
    """rows(), once #results is not busy (no live search in flight); None while it is."""
    if driver.execute_script("const r = document.querySelector('#results'); return r && r.getAttribute('aria-busy') === 'true'"):
        return None
    return rows(driver, tbody, must=False)


def definitions(driver, css):
    """A <dl>'s terms and descriptions, as a dict of text."""
    return driver.execute_script(
        """
        const out = {};
        document.querySelectorAll(arguments[0] + ' dt').forEach(dt => {
            let dd = dt.nextElementSibling;
            while (dd && dd.tagName !== 'DD') dd = dd.nextElementSibling;
            out[dt.innerText.trim()] = dd ? dd.innerText.trim() : null;
        });
        return out;
        """,
        css,
    )


def open_user(driver, query, name):
    """From /admin/users?q=query, opens the user called name; returns their id."""
    go(driver, "/admin/users?" + urllib.parse.urlencode({"q": query}), "Users")
    found = [r for r in rows(driver, "#users-rows") if r["cells"] and r["cells"][0] == name]
    if len(found) != 1:
        raise AssertionError(f"expected one row named {name!r} for q={query!r}, got {rows(driver, '#users-rows')}")
    click_and_load(driver, driver.find_element(By.CSS_SELECTOR, f'#users-rows tr[data-user-id="{found[0]["id"]}"] td a'), f"{name}'s link")
    wait_page(driver, f"/admin/users/{found[0]['id']}", name)
    return found[0]["id"]


def session_cookie(driver):
    """RoleSync's session cookie in this browser (name, value)."""
    for cookie in driver.get_cookies():
        if cookie["name"] in ("rolesync_session", "__Host-rolesync_session"):
            return cookie["name"], cookie["value"]
    raise AssertionError(f"no RoleSync session cookie in {[c['name'] for c in driver.get_cookies()]}")


def api_status(path, cookie):
    """The status RoleSync answers GET path with, sending only the given cookie."""
    request = urllib.request.Request(ROLESYNC_URL + path, headers={"Cookie": f"{cookie[0]}={cookie[1]}", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def create_idp_user(username, password, groups, name):
    """Adds a user to the running nanoidp through its management API."""
    body = json.dumps(
        {"username": username, "password": password, "email": f"{username}@example.org", "groups": groups, "attributes": {"name": name}}
    ).encode()
    request = urllib.request.Request(
        NANOIDP_URL + "/api/runtime/users",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Management-Secret": MANAGEMENT_SECRET},
    )
    context = ssl.create_default_context(cafile=str(NANOIDP_TLS / "ca.pem"))
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            if response.status != 201:
                raise AssertionError(f"nanoidp answered {response.status} creating {username}: {response.read()[:500]!r}")
    except urllib.error.HTTPError as error:
        raise AssertionError(f"nanoidp answered {error.code} creating {username}: {error.read()[:500]!r}") from None


def create_console_key(driver, name):
    """In /console/keys, creates a key called name; returns the value shown once."""
    go(driver, "/console/keys", "Console: API keys")
    field = find(driver, "#create-key #key-name")
    field.send_keys(name)
    click_and_load(driver, driver.find_element(By.CSS_SELECTOR, "#create-key #create-button"), "Create key")
    value = wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, "#new-key #key-value").text.strip(), f"the new key {name}'s value")
    if not value.startswith("rsk_"):
        raise AssertionError(f"the key value {value[:8]!r}… does not start with rsk_{describe(driver)}")
    return value


# ---------------------------------------------------------------------------------------------
# The scenario.
# ---------------------------------------------------------------------------------------------


class DashboardInChromium(unittest.TestCase):
    """One ledger, one scenario; each step records what later steps need in `state`."""

    drivers = {}
    state = {}

    @classmethod
    def browser(cls, who):
        """The browser of `who` (a fresh one the first time: signed out, its own cookies)."""
        if who not in cls.drivers:
            cls.drivers[who] = new_driver()
        return cls.drivers[who]

    @classmethod
    def tearDownClass(cls):
        drivers, cls.drivers = cls.drivers, {}
        errors = []
        for driver in drivers.values():
            try:
                driver.quit()
            except Exception as error:  # quit the others first, then raise it
                errors.append(error)
        if errors:
            raise errors[0]

    def need(self, *keys):
        """Skips this step when an earlier one it builds on did not finish."""
        missing = [key for key in keys if key not in self.state]
        if missing:
            self.skipTest(f"an earlier step did not finish: needs {', '.join(missing)}")
        return [self.state[key] for key in keys]

    # 1 ----------------------------------------------------------------------------------------
    def test_01_sign_in_lands_back_on_the_page_asked_for(self):
        alice = self.browser("alice")
        sign_in(alice, ALICE[0], ALICE[1], "/admin/users")
        self.state["alice"] = True  # signed in; what follows checks the page
        wait_h1(alice, "Users")
        find(alice, "#users-table #users-rows")
        nav = {a.text.strip(): a.get_attribute("href") for a in alice.find_elements(By.CSS_SELECTOR, "nav.sidebar a")}
        for label, path in (("Users", "/admin/users"), ("API Keys", "/admin/keys"), ("Audit", "/admin/audit"),
                            ("Mapping", "/admin/mapping"), ("Console", "/console/keys")):
            self.assertEqual(nav.get(label), ROLESYNC_URL + path, f"sidebar link {label}: {nav}")
        current = alice.find_element(By.CSS_SELECTOR, 'nav.sidebar a[aria-current="page"]').text.strip()
        self.assertEqual(current, "Users")
        whoami = alice.find_element(By.CSS_SELECTOR, ".whoami").text
        self.assertIn("super_admin", whoami)

    # 2 ----------------------------------------------------------------------------------------
    def test_02_a_plain_user_is_refused_the_dashboard_but_has_the_console(self):
        carol = self.browser("carol")
        drain_statuses(carol)
        sign_in(carol, CAROL[0], CAROL[1], "/admin/users")
        self.state["carol"] = True  # signed in (RoleSync knows her); what follows checks the pages
        wait_h1(carol, "Not permitted")
        self.assertEqual(document_status(carol), 403, "a user's /admin/users status")
        links = [a.get_attribute("href") for a in carol.find_elements(By.CSS_SELECTOR, "nav.sidebar a")]
        self.assertNotIn(ROLESYNC_URL + "/admin/users", links, "a user's sidebar offers no dashboard pages")
        shot(carol, "forbidden")
        go(carol, "/console/keys", "Console: API keys")
        self.assertIn(ROLESYNC_URL + "/console/keys", [a.get_attribute("href") for a in carol.find_elements(By.CSS_SELECTOR, "nav.sidebar a")])

    # 3 ----------------------------------------------------------------------------------------
    def test_03_the_console_shows_a_new_key_once(self):
        self.need("carol")
        carol = self.browser("carol")
        value = create_console_key(carol, "carol-laptop")
        copy = find(carol, "#new-key #copy-key")
        wait_for(carol, lambda d: copy.is_displayed() and copy.get_attribute("hidden") is None, "the script to un-hide the copy button")
        self.assertEqual(copy.get_attribute("data-copy-target"), "key-value")
        self.assertIn("will not show this key again", carol.find_element(By.CSS_SELECTOR, "#new-key .warning").text)
        names = [r["cells"][0] for r in rows(carol, "#my-keys tbody")]
        self.assertEqual(names.count("carol-laptop"), 1, f"#my-keys: {names}")
        shot(carol, "console-new-key")
        # A GET of the page (not a re-POST of the form): the value is never shown again.
        go(carol, "/console/keys", "Console: API keys")
        self.assertFalse(present(carol, "#key-value"), "the key value is shown again after a reload")
        self.assertNotIn(value, carol.page_source)
        names = [r["cells"][0] for r in rows(carol, "#my-keys tbody")]
        self.assertEqual(names.count("carol-laptop"), 1, f"#my-keys after a reload: {names}")
        self.state["carol_key"] = "carol-laptop"

    # 4 ----------------------------------------------------------------------------------------
    def test_04_users_live_search_filters_and_sort(self):
        self.need("alice", "carol")
        alice = self.browser("alice")
        go(alice, "/admin/users", "Users")
        everyone = {r["cells"][0] for r in rows(alice, "#users-rows")}
        self.assertTrue({ALICE[2], CAROL[2]} <= everyone, f"users listed: {everyone}")
        shot(alice, "users")

        # Search as you type: the rows change, the address bar follows, the page stays.
        no_reload_marker(alice)
        type_slowly(find(alice, "#user-search #q"), "car")

        def only_carol(d):
            if "car" not in path_and_query(d)[1].get("q", []):
                return False
            names = [r["cells"][0] for r in settled_rows(d, "#users-rows") or []]
            return CAROL[2] in names and ALICE[2] not in names

        wait_for(alice, only_carol, "#users-rows to show carol and not alice, and q=car in the address bar")
        self.assertTrue(still_same_document(alice), "typing in #q loaded a new page (window.__noReload is gone)")
        self.assertEqual(path_and_query(alice)[0], "/admin/users")

        # Role filter: only super admins.
        go(alice, "/admin/users", "Users")
        no_reload_marker(alice)
        Select(find(alice, "#user-search #role")).select_by_value("super_admin")

        def only_super_admins(d):
            if path_and_query(d)[1].get("role") != ["super_admin"]:
                return False
            found = settled_rows(d, "#users-rows") or []
            return bool(found) and all(r["cells"][2].startswith("super_admin") for r in found) and ALICE[2] in [r["cells"][0] for r in found]

        wait_for(alice, only_super_admins, "only super_admin rows (alice among them) and role=super_admin in the address bar")
        self.assertNotIn(CAROL[2], [r["cells"][0] for r in rows(alice, "#users-rows")])

        # Status filter on top: no inactive super admin, then the active ones again.
        Select(find(alice, "#user-search #status")).select_by_value("inactive")
        wait_for(
            alice,
            lambda d: path_and_query(d)[1].get("status") == ["inactive"]
            and [r["cls"] for r in settled_rows(d, "#users-rows") or []] == ["empty"]
            and "No users match." in d.find_element(By.CSS_SELECTOR, "#users-rows").text,
            "'No users match.' for inactive super admins",
        )
        Select(find(alice, "#user-search #status")).select_by_value("active")
        wait_for(
            alice,
            lambda d: path_and_query(d)[1].get("status") == ["active"]
            and ALICE[2] in [r["cells"][0] for r in settled_rows(d, "#users-rows") or []],
            "alice among the active super admins",
        )
        self.assertTrue(still_same_document(alice), "a filter loaded a new page (window.__noReload is gone)")

        # Sorting by the Name header's link, both ways the links offer.
        go(alice, "/admin/users", "Users")
        seen_orders = set()
        for _ in range(2):
            find(alice, "#users-table thead th a")
            link = next(
                (a for a in alice.find_elements(By.CSS_SELECTOR, "#users-table thead th a") if a.text.strip().startswith("Name")), None
            )
            if link is None:
                raise AssertionError(f"the Name header has no sort link{describe(alice)}")
            click_and_load(alice, link, "the Name header's sort link")
            wait_for(alice, lambda d: "sort" in path_and_query(d)[1] and on_rolesync(d, "/admin/users"), "a sorted /admin/users")
            query = path_and_query(alice)[1]
            order = (query.get("order") or ["asc"])[0]
            names = [r["cells"][0] for r in rows(alice, "#users-rows")]
            self.assertEqual(names, sorted(names, key=str.casefold, reverse=order == "desc"), f"sorted by {query}")
            seen_orders.add(order)
        self.assertEqual(seen_orders, {"asc", "desc"}, "clicking the Name header twice sorts both ways")
        self.state["users_list"] = True

    # 5 ----------------------------------------------------------------------------------------
    def test_05_an_admin_changes_an_uncovered_users_role(self):
        self.need("alice", "carol")
        alice = self.browser("alice")
        carol_id = open_user(alice, "car", CAROL[2])
        profile = definitions(alice, "#profile")
        self.assertEqual(profile.get("Email"), CAROL[3], f"#profile: {profile}")
        self.assertTrue(profile.get("Role", "").startswith("user"), f"#profile: {profile}")
        self.assertIn("manually", alice.find_element(By.CSS_SELECTOR, "#role-managed-by").text)
        find(alice, "#activity-summary")
        self.assertFalse(present(alice, "#role-locked"))
        shot(alice, "user-detail-uncovered")
        select = find(alice, "#edit-role #role-select")
        self.assertTrue(select.is_enabled())
        Select(select).select_by_value("model_admin")
        click_and_load(alice, alice.find_element(By.CSS_SELECTOR, "#edit-role #save-role"), "Save (role)")
        wait_for(
            alice,
            lambda d: on_rolesync(d, f"/admin/users/{carol_id}") and "Role changed to model_admin." in d.find_element(By.ID, "notice").text,
            "#notice 'Role changed to model_admin.' on carol's detail",
        )
        self.assertTrue(definitions(alice, "#profile").get("Role", "").startswith("model_admin"), definitions(alice, "#profile"))
        self.assertEqual(Select(alice.find_element(By.ID, "role-select")).first_selected_option.get_attribute("value"), "model_admin")
        self.state["carol_id"] = carol_id

    # 6 ----------------------------------------------------------------------------------------
    def test_06_a_covered_users_role_is_locked_to_its_rule(self):
        self.need("alice")
        alice = self.browser("alice")
        open_user(alice, "alice", ALICE[2])
        self.assertFalse(alice.find_element(By.CSS_SELECTOR, "#edit-role #role-select").is_enabled(), "#role-select is not disabled")
        self.assertFalse(alice.find_element(By.CSS_SELECTOR, "#edit-role #save-role").is_enabled(), "#save-role is not disabled")
        locked = alice.find_element(By.ID, "role-locked").text
        self.assertIn("rolesync-admins", locked)
        managed = alice.find_element(By.ID, "role-managed-by").text
        self.assertIn("rolesync-admins", managed)
        self.assertIn("nanoidp.yaml", managed)
        self.assertTrue(definitions(alice, "#profile").get("Role", "").startswith("super_admin"))
        shot(alice, "user-detail-covered")

    # 7 ----------------------------------------------------------------------------------------
    def test_07_admin_keys_live_search_owner_filter_and_revoke(self):
        self.need("alice", "carol_key")
        alice = self.browser("alice")
        go(alice, "/admin/keys", "API Keys")
        self.assertIn("carol-laptop", [r["cells"][0] for r in rows(alice, "#keys-rows")])
        shot(alice, "keys")

        no_reload_marker(alice)
        type_slowly(find(alice, "#key-search #q"), "carol-lap")
        wait_for(
            alice,
            lambda d: path_and_query(d)[1].get("q") == ["carol-lap"]
            and [r["cells"][0] for r in settled_rows(d, "#keys-rows") or []] == ["carol-laptop"],
            "#keys-rows to show only carol-laptop, and q=carol-lap in the address bar",
        )
        self.assertTrue(still_same_document(alice), "typing in #q loaded a new page")

        go(alice, "/admin/keys", "API Keys")
        no_reload_marker(alice)
        owner = Select(find(alice, "#key-search #owner"))
        owner.select_by_visible_text(CAROL[3])
        carol_id = owner.first_selected_option.get_attribute("value")
        self.assertTrue(carol_id, "the owner option has a user id value")
        if "carol_id" in self.state:
            self.assertEqual(carol_id, self.state["carol_id"], "the owner option's value is carol's user id")
        wait_for(
            alice,
            lambda d: path_and_query(d)[1].get("owner") == [carol_id]
            and [r["cells"][0] for r in settled_rows(d, "#keys-rows") or []] == ["carol-laptop"],
            "only carol's key for Owner = carol@example.org",
        )
        self.assertTrue(still_same_document(alice), "the owner filter loaded a new page")

        key_id = next(r["id"] for r in rows(alice, "#keys-rows") if r["cells"][0] == "carol-laptop")
        click_and_load(alice, alice.find_element(By.CSS_SELECTOR, f'#keys-rows tr[data-key-id="{key_id}"] td a'), "carol-laptop's link")
        wait_page(alice, f"/admin/keys/{key_id}", "carol-laptop")
        find(alice, "#key-details")
        find(alice, "#usage-chart svg[role=img]")
        shot(alice, "key-detail")

        click_and_load(alice, find(alice, "#revoke"), "Revoke…")
        wait_page(alice, f"/admin/keys/{key_id}/revoke", "Revoke key carol-laptop?")
        find(alice, "#consequences")
        reason = find(alice, "#confirm #reason")
        self.assertIsNotNone(reason.get_attribute("required"), "the reason is required in the browser")
        # Past the browser's check: the server refuses an empty reason too (422, #error).
        alice.execute_script("document.getElementById('reason').removeAttribute('required')")
        drain_statuses(alice)
        click_and_load(alice, alice.find_element(By.CSS_SELECTOR, "#confirm #confirm-button"), "Revoke key without a reason")
        wait_for(alice, lambda d: d.find_element(By.ID, "error").text.strip(), "#error for a revoke without a reason")
        self.assertEqual(document_status(alice), 422, "an empty reason's status")
        wait_h1(alice, "Revoke key carol-laptop?")

        find(alice, "#confirm #reason").send_keys("Lost laptop (browser test)")
        click_and_load(alice, alice.find_element(By.CSS_SELECTOR, "#confirm #confirm-button"), "Revoke key")
        wait_for(alice, lambda d: on_rolesync(d, f"/admin/keys/{key_id}") and d.find_element(By.ID, "notice").text, "#notice on the key's page")
        self.assertIn("revoked", alice.find_element(By.ID, "key-details").text.lower())
        self.assertFalse(present(alice, "#revoke"), "a revoked key still offers Revoke…")
        go(alice, "/admin/keys?" + urllib.parse.urlencode({"q": "carol-laptop"}), "API Keys")
        row = alice.find_element(By.CSS_SELECTOR, f'#keys-rows tr[data-key-id="{key_id}"]')
        self.assertEqual(row.find_element(By.CSS_SELECTOR, ".status-revoked").text.strip(), "revoked")

    # 8 ----------------------------------------------------------------------------------------
    def test_08_a_leaver_is_offboarded(self):
        self.need("alice")
        alice = self.browser("alice")
        suffix = uuid.uuid4().hex[:8]
        username, password, name = f"leaver-{suffix}", "leaver-pw", f"Leaver {suffix}"
        email = f"{username}@example.org"
        create_idp_user(username, password, ["staff"], name)

        leaver = self.browser("leaver")
        sign_in(leaver, username, password, "/console/keys")
        wait_h1(leaver, "Console: API keys")
        key_name = f"{username}-laptop"
        create_console_key(leaver, key_name)
        old_session = session_cookie(leaver)
        self.assertEqual(api_status("/api/me", old_session), 200, "the leaver's session works before offboarding")

        user_id = open_user(alice, email, name)
        self.assertEqual(definitions(alice, "#profile").get("Status"), "active")
        click_and_load(alice, find(alice, "#offboard"), "Offboard…")
        wait_page(alice, f"/admin/users/{user_id}/offboard", f"Offboard {name}?")
        find(alice, "#consequences")
        reason = find(alice, "#confirm #reason")
        self.assertIsNotNone(reason.get_attribute("required"))
        reason.send_keys("Left the company (browser test)")
        click_and_load(alice, alice.find_element(By.CSS_SELECTOR, "#confirm #confirm-button"), "Offboard")
        wait_for(alice, lambda d: on_rolesync(d, f"/admin/users/{user_id}") and d.find_element(By.ID, "notice").text, "#notice on the leaver's page")
        # The status, then why: an administrator deactivated them (reason manual).
        self.assertEqual(definitions(alice, "#profile").get("Status"), "inactive (manual)", definitions(alice, "#profile"))
        self.assertFalse(present(alice, "#offboard"), "an inactive user still offers Offboard…")
        find(alice, "#reactivate")

        go(alice, "/admin/keys?" + urllib.parse.urlencode({"q": key_name}), "API Keys")
        theirs = [r for r in rows(alice, "#keys-rows") if r["cells"][0] == key_name]
        self.assertEqual(len(theirs), 1, f"the leaver's key in /admin/keys: {rows(alice, '#keys-rows')}")
        self.assertEqual(theirs[0]["cells"][-1], "revoked", theirs[0])

        # Their old browser session is over: the API refuses the cookie, the Console is gone.
        self.assertEqual(api_status("/api/me", old_session), 401, "the leaver's old session after offboarding")
        leaver.get(ROLESYNC_URL + "/console/keys")
        wait_for(
            leaver,
            lambda d: d.current_url.startswith(NANOIDP_URL + "/authorize") and d.find_elements(By.ID, "username")
            or d.current_url.startswith(ROLESYNC_URL) and d.find_element(By.TAG_NAME, "h1").text.strip() == "Sign-in refused",
            "the leaver's browser to be sent to sign in again (or refused), not shown the Console",
        )
        self.state["leaver"] = email
        self.drivers.pop("leaver").quit()

    # 9 ----------------------------------------------------------------------------------------
    def test_09_audit_and_mapping_dry_run(self):
        self.need("alice")
        alice = self.browser("alice")
        go(alice, "/admin/audit", "Audit")
        user = self.state.get("leaver") or CAROL[3]
        find(alice, "#audit-filters #user").send_keys(user)
        click_and_load(alice, find(alice, "#audit-filters button[type=submit]"), "Apply (audit)")
        wait_for(alice, lambda d: path_and_query(d)[1].get("user") == [user] and on_rolesync(d, "/admin/audit"), "the audit filtered by user")
        events = alice.find_element(By.CSS_SELECTOR, "#audit-table").text
        # The log reads as sentences: people by name, keys by name and prefix.
        self.assertRegex(events, r"revoked \S+ \(rsk_\S+\) of Leaver \S+ with the offboarding" if "leaver" in self.state else r"signed in for the first time", events)
        shot(alice, "audit")

        go(alice, "/admin/mapping", "Mapping")
        self.assertIn("rolesync-admins", alice.find_element(By.ID, "loaded-mappings").text)
        # A candidate that makes all other staff user_admins (its tests: section dropped: they would
        # disagree). Carol, a manual model_admin since step 5, becomes a covered user_admin.
        current = (REPO / "examples/local/mappings/nanoidp.yaml").read_text()
        anchor = "    when: { claim: groups, contains: ml-engineers }\n"
        self.assertIn(anchor, current, "examples/local/mappings/nanoidp.yaml changed: update this candidate")
        candidate = current.split("\ntests:")[0].replace(
            anchor, anchor + "\n  - id: staff-admins\n    role: user_admin\n    when: { claim: groups, contains: staff }\n"
        )
        area = find(alice, "#dry-run #candidate")
        alice.execute_script("arguments[0].value = arguments[1]", area, candidate)
        click_and_load(alice, alice.find_element(By.CSS_SELECTOR, "#dry-run button[type=submit]"), "Dry run")
        wait_for(alice, lambda d: d.find_element(By.CSS_SELECTOR, "#dry-run-result #changes-table"), "the dry run's #changes-table")
        changes = alice.find_element(By.ID, "changes-table").text
        self.assertIn("carol", changes.lower(), f"carol becomes a user_admin under the candidate: {changes}")
        self.assertIn("staff-admins", changes)
        alice.execute_script("document.getElementById('dry-run-result').scrollIntoView()")
        shot(alice, "mapping-dry-run")

        # Invalid YAML: 422, and #error points at line:column.
        area = find(alice, "#dry-run #candidate")
        alice.execute_script("arguments[0].value = arguments[1]", area, "version: 1\nroles: [\n")
        drain_statuses(alice)
        click_and_load(alice, alice.find_element(By.CSS_SELECTOR, "#dry-run button[type=submit]"), "Dry run (invalid YAML)")
        error = wait_for(alice, lambda d: d.find_element(By.ID, "error").text.strip(), "#error for invalid YAML")
        self.assertRegex(error, r"\d+:\d+")
        self.assertEqual(document_status(alice), 422)

    # 10 ---------------------------------------------------------------------------------------
    def test_10_the_landing_page_links_by_role(self):
        self.need("alice", "carol")
        alice, carol = self.browser("alice"), self.browser("carol")
        go(alice, "/")
        self.assertEqual(find(alice, "#open-dashboard").get_attribute("href"), ROLESYNC_URL + "/admin/users")
        self.assertEqual(find(alice, "#open-console").get_attribute("href"), ROLESYNC_URL + "/console/keys")
        go(carol, "/")
        self.assertEqual(find(carol, "#open-console").get_attribute("href"), ROLESYNC_URL + "/console/keys")
        self.assertFalse(present(carol, "#open-dashboard"), "carol (not an admin) is offered the Admin Dashboard")
        click_and_load(alice, find(alice, "#open-dashboard"), "Admin Dashboard")
        wait_page(alice, "/admin/users", "Users")

    # 11 ---------------------------------------------------------------------------------------
    def test_11_break_glass_override_and_the_shadow_mapping(self):
        self.need("alice")
        alice = self.browser("alice")
        suffix = uuid.uuid4().hex[:8]
        username, password, name = f"ml-{suffix}", "ml-pw", f"ML Engineer {suffix}"
        email = f"{username}@example.org"
        create_idp_user(username, password, ["ml-engineers", "staff"], name)
        engineer = self.browser("engineer")
        sign_in(engineer, username, password, "/console/keys")
        wait_h1(engineer, "Console: API keys")
        self.drivers.pop("engineer").quit()

        # The shadow mapping (examples/local/shadow/) would make ML engineers provider_admin: the
        # sign-in above is on the Mapping page, and nothing changed for the engineer.
        def shadow_lists_engineer(d):
            d.get(ROLESYNC_URL + "/admin/mapping")
            return present(d, "#shadow-table") and email in d.find_element(By.ID, "shadow-table").text

        wait_for(alice, shadow_lists_engineer, "the engineer's sign-in in the Mapping page's shadow section", timeout=15)
        shadow = alice.find_element(By.ID, "shadow-table").text
        self.assertIn("role model_admin → provider_admin", shadow)
        alice.execute_script("document.getElementById('shadow').scrollIntoView()")
        shot(alice, "mapping-shadow")

        user_id = open_user(alice, email, name)
        self.assertTrue(definitions(alice, "#profile").get("Role", "").startswith("model_admin"))
        find(alice, "#grant-override")
        Select(find(alice, "#override-role")).select_by_value("user_admin")
        Select(find(alice, "#override-for")).select_by_visible_text("2 hours")
        find(alice, "#override-reason").send_keys("Incident 4711: model gateway down (browser test)")
        click_and_load(alice, find(alice, "#grant-override button[type=submit]"), "Give override")
        wait_for(alice, lambda d: on_rolesync(d, f"/admin/users/{user_id}") and "Break-glass override given" in d.find_element(By.ID, "notice").text, "the override's notice")
        self.assertTrue(definitions(alice, "#profile").get("Role", "").startswith("user_admin"), definitions(alice, "#profile"))
        current = find(alice, "#override-current").text
        self.assertIn("Incident 4711", current)
        self.assertIn("model_admin returns", current)
        alice.execute_script("document.getElementById('break-glass').scrollIntoView()")
        shot(alice, "user-override")

        go(alice, "/admin/users?" + urllib.parse.urlencode({"q": email}), "Users")
        listed = [r for r in rows(alice, "#users-rows") if r["cells"] and r["cells"][0] == name]
        self.assertEqual(len(listed), 1, rows(alice, "#users-rows"))
        self.assertIn("override until", listed[0]["cells"][2])

        open_user(alice, email, name)
        click_and_load(alice, find(alice, "#end-override button[type=submit]"), "End override now")
        wait_for(alice, lambda d: on_rolesync(d, f"/admin/users/{user_id}") and "Override ended" in d.find_element(By.ID, "notice").text, "the end's notice")
        self.assertTrue(definitions(alice, "#profile").get("Role", "").startswith("model_admin"))
        self.assertFalse(present(alice, "#override-current"), "the override is still shown after it ended")

    # 12 ---------------------------------------------------------------------------------------
    def test_12_a_key_rolled_in_the_console_and_seen_on_the_dashboard(self):
        self.need("alice", "carol")
        carol = self.browser("carol")
        old_value = create_console_key(carol, "carol-ci-roll")
        go(carol, "/console/keys", "Console: API keys")
        old_id = next(r["id"] for r in rows(carol, "#my-keys tbody") if r["cells"][0] == "carol-ci-roll")
        click_and_load(carol, carol.find_element(By.CSS_SELECTOR, f'#my-keys a[href="/console/keys/{old_id}/roll"]'), "Roll…")
        wait_page(carol, f"/console/keys/{old_id}/roll", "Roll key carol-ci-roll?")
        overlap = Select(find(carol, "#confirm #choice"))
        self.assertEqual(overlap.first_selected_option.get_attribute("value"), "24h", "the default overlap")
        overlap.select_by_value("1h")
        shot(carol, "console-roll")
        click_and_load(carol, carol.find_element(By.CSS_SELECTOR, "#confirm #confirm-button"), "Roll key")
        new_value = wait_for(carol, lambda d: d.find_element(By.CSS_SELECTOR, "#new-key #key-value").text.strip(), "the new key's value")
        self.assertTrue(new_value.startswith("rsk_") and new_value != old_value)
        line = next(r for r in rows(carol, "#my-keys tbody") if r["id"] == old_id)
        self.assertIn("rolled to", line["cells"][5], f"the old key's line: {line}")
        self.assertNotIn(f"/console/keys/{old_id}/roll", [href for _, href in line["links"]], "a rolled key offers Roll… again")
        shot(carol, "console-rolled")

        alice = self.browser("alice")
        go(alice, f"/admin/keys/{old_id}", "carol-ci-roll")
        rolled_to = find(alice, "#rolled-to")
        self.assertIn("not used since the roll", rolled_to.text)
        new_href = rolled_to.find_element(By.CSS_SELECTOR, "a").get_attribute("href")
        self.assertFalse(present(alice, "#roll"), "a rolled key offers Roll… on the dashboard")
        shot(alice, "key-rolled")
        alice.get(new_href)
        wait_for(alice, lambda d: d.find_element(By.ID, "rolled-from").text, "the new key names the old one")
        self.assertTrue(present(alice, "#roll"), "the replacement can be rolled in its turn")

    # 13 ---------------------------------------------------------------------------------------
    def test_13_the_directory_page_and_a_dry_run(self):
        """The IdP's directory (the Okta fake scripts/browser-test starts, hundreds of users, with a
        safety valve of max_count 0 so that nobody the tests sign in is ever deactivated by it)."""
        self.need("alice")
        alice = self.browser("alice")
        go(alice, "/admin/directory", "Directory")
        section = find(alice, "section.directory")
        self.assertIn("nanoidp", section.find_element(By.CSS_SELECTOR, "h2").text)
        facts = section.find_element(By.CSS_SELECTOR, "dl.profile").text
        self.assertIn("Okta at http://127.0.0.1:", facts)
        self.assertRegex(facts, r"every 168h, a full listing at least every 168h")
        shot(alice, "directory")
        click_and_load(alice, section.find_element(By.CSS_SELECTOR, "form.dry-run button[type=submit]"), "Dry run now")
        result = wait_for(alice, lambda d: d.find_element(By.CSS_SELECTOR, ".dry-run-result").text, "the dry run's result")
        self.assertIn("Read through Okta: a full listing, because no cursor yet", result)
        self.assertRegex(result, r"3\d\d directory users", result)
        # Everyone the tests signed in is missing from the Okta fake: the plan would deactivate them,
        # and the valve (max_count 0) would hold it.
        self.assertIn("The safety valve would hold this plan", result)
        self.assertIn("absent from directory", alice.find_element(By.CSS_SELECTOR, ".dry-run-result .changes-table").text)
        alice.execute_script("document.querySelector('.dry-run-result').scrollIntoView()")
        shot(alice, "directory-dry-run")

        cookie = session_cookie(alice)
        request = urllib.request.Request(
            ROLESYNC_URL + "/api/admin/directory", headers={"Cookie": f"{cookie[0]}={cookie[1]}", "Accept": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            self.assertEqual(response.status, 200)
            self.assertEqual([d["kind"] for d in json.loads(response.read())["directories"]], ["okta"])

    def test_14_the_events_page(self):
        """The webhook endpoints scripts/browser-test configures: "siem" (the Standard Webhooks
        reference receiver, healthy), "tickets" (answering 410: disabled) and "pager" (nobody
        listening: retrying); every event of the earlier steps went to siem, signed."""
        self.need("alice")
        alice = self.browser("alice")
        siem_url, tickets_url = os.environ["ROLESYNC_RECEIVERS"].split(",")

        def states(d):
            d.refresh()
            sections = {s.get_attribute("id"): s.find_element(By.CSS_SELECTOR, "h2 .status").text for s in d.find_elements(By.CSS_SELECTOR, "section.endpoint")}
            return sections if sections.get("endpoint-tickets") == "disabled" and sections.get("endpoint-pager") == "retrying" else None

        go(alice, "/admin/events", "Events")
        found = wait_for(alice, states, "tickets disabled (410) and pager retrying", timeout=30)
        self.assertEqual(found["endpoint-siem"], "healthy")
        pager = find(alice, "#endpoint-pager dl.profile").text
        self.assertIn("Retrying", pager)
        self.assertRegex(pager, r"Waiting\s+\d+ message")
        self.assertIn("because it answered 410 Gone", find(alice, "#endpoint-tickets dl.profile").text)
        shot(alice, "events")

        # Every delivery to siem was verified by the reference library.
        with urllib.request.urlopen(siem_url + "/_received", timeout=10) as response:
            received = json.loads(response.read())["requests"]
        self.assertGreater(len(received), 10)
        self.assertTrue(all(r["verified"] and r["status"] == 200 for r in received))

        # The messages: delivered ones with their try, filtered by endpoint and state.
        rows = alice.find_elements(By.CSS_SELECTOR, "#messages tbody tr")
        self.assertGreater(len(rows), 10)
        Select(find(alice, "#endpoint")).select_by_value("siem")
        Select(find(alice, "#state")).select_by_value("delivered")
        click_and_load(alice, find(alice, "#event-filters button[type=submit]"), "Apply")
        delivered = alice.find_elements(By.CSS_SELECTOR, "#messages tbody tr")
        self.assertGreater(len(delivered), 5)
        self.assertTrue(all("delivered" in row.text and "siem" in row.text and " 200 " in f" {row.text} " for row in delivered[:5]), delivered[0].text)
        go(alice, "/admin/events", "Events")

        # The receiver is back: Re-enable sends what waited (audited).
        urllib.request.urlopen(urllib.request.Request(tickets_url + "/_scenario", data=b'{"status": 200}', method="PUT"), timeout=10).read()
        click_and_load(alice, find(alice, "#endpoint-tickets form[action$='/enable'] button"), "Re-enable")
        self.assertIn("tickets is enabled again", find(alice, ".notice").text)
        wait_for(alice, lambda d: (d.refresh() or True) and d.find_element(By.CSS_SELECTOR, "#endpoint-tickets h2 .status").text == "healthy", "tickets healthy", timeout=20)
        # Healthy is the endpoint's state once re-enabled; what waited is then sent by the next
        # delivery round, so the receiver is asked until it has it.
        def delivered(_):
            with urllib.request.urlopen(tickets_url + "/_received", timeout=10) as response:
                tickets = json.loads(response.read())["requests"]
            return [r for r in tickets if r["status"] == 200 and r["verified"]] or None

        wait_for(alice, delivered, "a verified 200 delivery to tickets after the re-enabling", timeout=20)

        # Replay since…: siem's messages are sent again, with their original ids. Live events (the
        # re-enabling's own audit entry among them) may still arrive while the replay runs, so the
        # check waits for every id delivered before the click to arrive again after it.
        with urllib.request.urlopen(siem_url + "/_received", timeout=10) as response:
            before = [r["webhook_id"] for r in json.loads(response.read())["requests"]]
        self.assertGreater(len(before), 10)
        form = find(alice, "#endpoint-siem form.replay")
        field = form.find_element(By.CSS_SELECTOR, "input[name=since]")
        field.clear()
        field.send_keys("2000-01-01")
        click_and_load(alice, form.find_element(By.CSS_SELECTOR, "button"), "Replay since…")
        self.assertIn("will be sent again", find(alice, ".notice").text)

        def replayed(_):
            with urllib.request.urlopen(siem_url + "/_received", timeout=10) as response:
                again = json.loads(response.read())["requests"][len(before) :]
            missing = set(before) - {r["webhook_id"] for r in again}
            return again if not missing else None

        again = wait_for(alice, replayed, f"all {len(before)} earlier messages sent again to the reference receiver", timeout=30)
        self.assertTrue(all(r["verified"] and r["status"] == 200 for r in again), [r for r in again if not r["verified"]][:3])
        go(alice, "/admin/audit?action=webhook.replayed", "Audit")
        self.assertIn("Alice Admin replayed the webhook endpoint siem's messages since 2000-01-01 00:00 UTC", find(alice, "#results tbody").text)

    def test_15_dense_listings(self):
        """Users, API Keys and Audit over the 300 people and 120 keys `rolesync demo` seeded: twenty
        rows and more in a 1280x800 viewport, one line each, with no sideways scrolling; at a
        phone's width each row is a card (stacked), never a table to scroll sideways."""
        self.need("alice")
        alice = self.browser("alice")
        phone = int(WINDOW.split(",")[0]) < 500
        if not phone:
            alice.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
        try:
            for path, h1, table in [("/admin/users", "Users", "#users-table"), ("/admin/keys", "API Keys", "#keys-table"), ("/admin/audit", "Audit", "#audit-table")]:
                go(alice, path, h1)
                # Scrolled to the listing, its header at the top of the screen.
                layout = alice.execute_script(
                    """const table = document.querySelector(arguments[0]);
                    table.scrollIntoView({block: 'start'});
                    const rows = [...table.querySelectorAll('tbody tr')];
                    const seen = rows.filter(r => { const b = r.getBoundingClientRect(); return b.top >= 0 && b.bottom <= window.innerHeight; });
                    return {rows: rows.length, visible: seen.length, display: getComputedStyle(rows[0]).display,
                            sideways: Math.max(table.scrollWidth - table.clientWidth, table.getBoundingClientRect().right - table.parentElement.getBoundingClientRect().right),
                            width: window.innerWidth, height: window.innerHeight,
                            tallest: Math.max(...rows.slice(0, 20).map(r => r.getBoundingClientRect().height))};""",
                    table,
                )
                if phone:
                    self.assertIn(layout["display"], ("block", "flex"), f"{path}: rows are not stacked at {layout['width']} px: {layout}")
                else:
                    self.assertEqual((layout["width"], layout["height"]), (1280, 800), layout)
                    self.assertGreaterEqual(layout["visible"], 20, f"{path}: {layout}")
                    self.assertLessEqual(layout["sideways"], 0.5, f"{path} is wider than its place: {layout}")
                    if path != "/admin/audit":  # a long audit reason may take a second line
                        self.assertLess(layout["tallest"], 32, f"{path}: a row takes more than one line: {layout}")
                shot(alice, "dense-" + path.rsplit("/", 1)[1])
        finally:
            if not phone:
                alice.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


    # 16 ---------------------------------------------------------------------------------------
    def test_16_stale_keys_revoked_in_one_pass(self):
        """The hygiene step at scale: Last used, oldest first lists active keys only; three are
        ticked (and All on this page ticks and clears them all), Revoke selected… lists them with
        owner, prefix and last use, takes one reason, and revokes them together, each audited."""
        self.need("alice")
        alice = self.browser("alice")
        go(alice, "/admin/keys?sort=last_used&order=asc", "API Keys")
        self.assertEqual(Select(find(alice, "#key-search #status")).first_selected_option.get_attribute("value"), "active")
        listed = rows(alice, "#keys-rows")
        self.assertGreaterEqual(len(listed), 20, "the demo's keys are listed")
        self.assertEqual({r["cells"][-1].split()[0] for r in listed}, {"active"}, "the hygiene view lists active keys only")

        select_all = find(alice, "#select-page")
        select_all.click()
        boxes = alice.find_elements(By.CSS_SELECTOR, "#keys-rows input[name=id]")
        self.assertTrue(boxes and all(b.is_selected() for b in boxes), "All on this page ticks every row")
        wait_for(alice, lambda d: d.find_element(By.ID, "selected-count").text == f"{len(boxes)} chosen", "the count of the chosen keys")
        select_all.click()
        self.assertFalse(any(b.is_selected() for b in boxes), "All on this page clears them again")
        # Pressing Revoke selected… with nothing chosen says so and stays on the page.
        find(alice, "#revoke-selected").click()
        wait_for(alice, lambda d: "Tick the keys" in d.find_element(By.ID, "selected-count").text, "the hint to choose keys first")
        self.assertTrue(on_rolesync(alice, "/admin/keys"))

        demo = [r for r in listed if r["links"][1][0].endswith("@example.com")][:3]
        self.assertEqual(len(demo), 3, "three demo keys to revoke")
        for r in demo:
            alice.find_element(By.CSS_SELECTOR, f'#keys-rows tr[data-key-id="{r["id"]}"] input[name=id]').click()
        wait_for(alice, lambda d: d.find_element(By.ID, "selected-count").text == "3 chosen", "3 chosen")
        shot(alice, "keys-selected")
        click_and_load(alice, find(alice, "#revoke-selected"), "Revoke selected…")
        wait_page(alice, "/admin/keys/revoke", "Revoke 3 keys?")
        confirm = rows(alice, "#revoke-table tbody")
        self.assertEqual([r["id"] for r in confirm], [r["id"] for r in demo])
        for shown, chosen in zip(confirm, demo):
            self.assertEqual(shown["cells"][0], chosen["cells"][0], "the key's name")
            self.assertEqual(shown["cells"][2], chosen["cells"][2], "the key's prefix")
        find(alice, "#confirm #reason").send_keys("No legitimate consumer left (browser test)")
        shot(alice, "keys-revoke-confirm")
        click_and_load(alice, find(alice, "#confirm #confirm-button"), "Revoke 3 keys")
        wait_for(alice, lambda d: on_rolesync(d, "/admin/keys") and "3 keys revoked" in d.find_element(By.ID, "notice").text, "#notice: 3 keys revoked")
        left = {r["id"] for r in rows(alice, "#keys-rows")}
        self.assertFalse(left & {r["id"] for r in demo}, "the revoked keys left the hygiene view")

        go(alice, "/admin/audit?action=key.revoked", "Audit")
        sentences = [r["cells"][1] for r in rows(alice, "#audit-table tbody")[:3]]
        for r in demo:
            self.assertTrue(
                any(r["cells"][0] in s and "No legitimate consumer left (browser test)" in s for s in sentences),
                f"{r['cells'][0]} has its own key.revoked sentence with the reason: {sentences}",
            )

    # 17 ---------------------------------------------------------------------------------------
    def test_17_listings_export_their_view(self):
        """Users, API Keys and Audit link their view as CSV and JSON lines; the browser fetches the
        links with its session and Python's csv module reads every row back, past the page shown."""
        self.need("alice")
        alice = self.browser("alice")

        def fetch(href):
            answer = alice.execute_async_script(
                """const done = arguments[arguments.length - 1];
                fetch(arguments[0], {credentials: 'same-origin'}).then(async r => done({
                    status: r.status, type: r.headers.get('Content-Type'), disposition: r.headers.get('Content-Disposition'),
                    text: await r.text()})).catch(e => done({status: 0, text: String(e)}));""",
                href,
            )
            self.assertEqual(answer["status"], 200, f"{href}: {answer['text'][:300]}")
            return answer

        go(alice, "/admin/users?status=active", "Users")
        link = find(alice, "#results .exports a[href*='format=csv']")
        self.assertIsNotNone(link.get_attribute("download"))
        answer = fetch(link.get_attribute("href"))
        self.assertTrue(answer["type"].startswith("text/csv"), answer["type"])
        self.assertIn('filename="rolesync-users-', answer["disposition"])
        users = list(csv.reader(io.StringIO(answer["text"], newline=""), strict=True))
        self.assertEqual(users[0][:3], ["id", "name", "email"])
        self.assertGreater(len(users) - 1, 300, "every active user, not the 50 of the page")
        self.assertTrue(all(r[8] == "active" for r in users[1:]), "the Status filter holds in the file")

        go(alice, "/admin/keys?sort=last_used&order=asc", "API Keys")
        lines = fetch(find(alice, "#results .exports a[href*='format=jsonl']").get_attribute("href"))["text"].splitlines()
        keys = [json.loads(line) for line in lines]
        self.assertGreater(len(keys), 50)
        self.assertEqual({k["status"] for k in keys}, {"active"}, "the hygiene view's file has the active keys it shows")

        go(alice, "/admin/audit?action=key.revoked", "Audit")
        events = list(csv.reader(io.StringIO(fetch(find(alice, "#results .exports a[href*='format=csv']").get_attribute("href"))["text"], newline="")))
        self.assertEqual(events[0], ["id", "time", "action", "actor", "user_id", "sentence", "details"])
        self.assertTrue(events[1:] and all(r[2] == "key.revoked" and " revoked " in r[5] for r in events[1:]), events[:3])

    # 18 ---------------------------------------------------------------------------------------
    def test_18_an_access_review(self):
        """The quarterly access review over the demo's admin role holders: grouped by role, each
        with why they hold it; revoking one shows what revoking means for them; Complete review
        records the decisions, lists what to revoke, and keeps the review with its CSV."""
        self.need("alice")
        alice = self.browser("alice")
        go(alice, "/admin/reviews", "Access review")
        groups = [g.get_attribute("data-role") for g in alice.find_elements(By.CSS_SELECTOR, "section.review-group")]
        self.assertEqual(groups[0], "super_admin", groups)
        self.assertNotIn("user", groups)
        holders = alice.find_elements(By.CSS_SELECTOR, "section.review-group tbody tr")
        self.assertGreater(len(holders), 20, "the demo's admins are listed")
        covered = alice.find_element(By.CSS_SELECTOR, 'tr[data-basis="idp"] td.why').text
        self.assertRegex(covered, r"^IdP rule \S+ in \S+", "a covered holder names the rule and the file")
        manual = alice.find_element(By.CSS_SELECTOR, 'tr[data-basis="manual"]')
        self.assertIn("manual", manual.find_element(By.CSS_SELECTOR, "td.why").text)

        # Complete review without every decision: the browser asks for the first one missing.
        find(alice, "#complete-review").click()
        self.assertTrue(on_rolesync(alice, "/admin/reviews"), "an incomplete review was sent")
        # Keep everyone (as a reviewer ticks row after row), then revoke one manual holder.
        alice.execute_script("document.querySelectorAll('input[type=radio][value=keep]').forEach(r => r.checked = true)")
        revoked = manual.get_attribute("data-user-id")
        hint = manual.find_element(By.CSS_SELECTOR, ".if-revoked")
        self.assertFalse(hint.is_displayed(), "what revoking means shows once revoke is chosen")
        manual.find_element(By.CSS_SELECTOR, "input[value=revoke]").click()
        wait_for(alice, lambda d: hint.is_displayed(), "the hint for a revoked manual holder")
        self.assertIn("Edit role", hint.text)
        shot(alice, "access-review")
        click_and_load(alice, find(alice, "#complete-review"), "Complete review")
        wait_for(alice, lambda d: "/admin/reviews/" in d.current_url and d.find_element(By.ID, "notice").text, "the completed review")
        self.assertIn("1 to revoke", find(alice, "#notice").text)
        to_revoke = alice.find_elements(By.CSS_SELECTOR, "#to-revoke li a")
        self.assertEqual(to_revoke[0].get_attribute("href").rsplit("/", 1)[1], revoked)
        self.assertRegex(find(alice, "#review-summary code.digest").text, r"^sha256:[0-9a-f]{64}$")
        shot(alice, "access-review-completed")

        go(alice, "/admin/reviews", "Access review")
        past = rows(alice, "#past-table tbody")
        self.assertTrue(past and past[0]["cells"][2].startswith("Alice"), past)
        href = alice.find_element(By.CSS_SELECTOR, "#past-table tbody tr a[download]").get_attribute("href")
        text = alice.execute_async_script(
            "const done = arguments[arguments.length - 1]; fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.text()).then(done);",
            href,
        )
        decided = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        self.assertEqual(len(decided) - 1, len(holders))
        self.assertEqual([r[1] for r in decided[1:] if r[-1] == "revoke"], [revoked])

if __name__ == "__main__":
    unittest.main(verbosity=2)
