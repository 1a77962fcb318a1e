/* RoleSync dashboard: small progressive enhancements. Every page works without this file
   (forms submit, links navigate; Copy buttons simply stay hidden).
   - form[data-live-search="#results"]: as the filters change, fetch the results fragment
     (header X-RoleSync-Fragment: results), swap it in, and keep the address bar shareable.
   - button[data-copy-target="id"]: copy that element's text with the Clipboard API.
   - select[data-autosubmit]: submit its form on change (forms without live search).
   - input[data-select-all="form id"]: tick or clear every checkbox named "id" of that form, and
     #selected-count says how many are chosen; a button[data-needs-selection] does not submit an
     empty choice. Delegated from the document: live search replaces the results table. */
(function () {
  "use strict";

  var liveSupported = "fetch" in window && "AbortController" in window && "DOMParser" in window &&
    "URLSearchParams" in window && "FormData" in window && "URL" in window && !!history.replaceState;

  function liveSearch(form, selector) {
    var timer = 0;
    var controller = null;
    var pending = null;
    var region = function () { return document.querySelector(selector); };
    var formURL = function () {
      // getAttribute: a control named "action" would shadow form.action.
      var url = new URL(form.getAttribute("action") || location.pathname, location.href);
      url.search = new URLSearchParams(new FormData(form)).toString();
      return url.href;
    };
    var shown = formURL();

    function run(force) {
      clearTimeout(timer);
      var href = formURL();
      if (!force && (controller ? href === pending : href === shown)) return;
      if (controller) controller.abort();
      var ctl = controller = new AbortController();
      pending = href;
      var current = region();
      if (current) current.setAttribute("aria-busy", "true");
      var done = function () {
        if (controller === ctl) controller = null;
        var r = region();
        if (r) r.removeAttribute("aria-busy");
      };
      fetch(href, {
        headers: { "X-RoleSync-Fragment": "results" },
        credentials: "same-origin",
        redirect: "manual", // a redirect (session expired) becomes a normal navigation below
        cache: "no-store",
        signal: ctl.signal
      }).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.status !== 200 || type.indexOf("text/html") === -1) {
          throw new Error("navigate");
        }
        return response.text();
      }).then(function (text) {
        if (controller !== ctl) return;
        var fresh = new DOMParser().parseFromString(text, "text/html").querySelector(selector);
        var old = region();
        if (!fresh || !old) throw new Error("navigate");
        fresh.removeAttribute("aria-busy");
        old.replaceWith(document.importNode(fresh, true));
        history.replaceState(null, "", href);
        shown = href;
        done();
      }).catch(function (error) {
        if (controller !== ctl || (error && error.name === "AbortError")) return;
        done();
        // The server answered something other than the fragment: let it show that as a page.
        // A network failure (offline) leaves the current results; Apply still works.
        if (error && error.message === "navigate") window.location.assign(href);
      });
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(run, 250);
    }

    form.addEventListener("input", function (event) {
      var t = event.target;
      if (event.isComposing || t.tagName !== "INPUT" || (t.type !== "text" && t.type !== "search")) return;
      schedule();
    });
    form.addEventListener("compositionend", function () { schedule(); });
    form.addEventListener("change", function (event) {
      if (event.target.tagName === "SELECT") schedule();
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      run(true);
    });
  }

  document.querySelectorAll("form[data-live-search]").forEach(function (form) {
    var selector = form.getAttribute("data-live-search");
    var method = (form.getAttribute("method") || "get").toLowerCase();
    if (!liveSupported || method !== "get") return;
    try {
      if (!document.querySelector(selector)) return;
    } catch (invalidSelector) {
      return;
    }
    form.setAttribute("data-live", "");
    liveSearch(form, selector);
  });

  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    var form = select.form;
    if (!form || form.hasAttribute("data-live")) return;
    select.addEventListener("change", function () {
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    });
  });

  function choices(form) {
    return form.querySelectorAll("input[type=checkbox][name=id]");
  }

  function sayChosen(form, text) {
    var out = form.querySelector("#selected-count");
    if (!out) return;
    if (text === undefined) {
      var n = 0;
      choices(form).forEach(function (box) { if (box.checked) n += 1; });
      text = n === 0 ? "" : n + " chosen";
    }
    out.textContent = text;
  }

  document.addEventListener("change", function (event) {
    var t = event.target;
    if (t.tagName !== "INPUT" || t.type !== "checkbox" || !t.form) return;
    if (t.hasAttribute("data-select-all")) {
      choices(t.form).forEach(function (box) { box.checked = t.checked; });
    }
    sayChosen(t.form);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.querySelector("button[data-needs-selection]")) return;
    var any = false;
    choices(form).forEach(function (box) { if (box.checked) any = true; });
    if (!any) {
      event.preventDefault();
      sayChosen(form, "Tick the keys to revoke first.");
    }
  });

  if (navigator.clipboard && navigator.clipboard.writeText) {
    document.querySelectorAll("button[data-copy-target]").forEach(function (button) {
      var label = button.textContent;
      var timer = 0;
      // Announce "Copied" unless the button already sits in a live region (#new-key is role=status).
      if (!button.closest("[aria-live], [role=status], [role=alert], [role=log]")) {
        button.setAttribute("aria-live", "polite");
      }
      function say(text) {
        button.textContent = text;
        clearTimeout(timer);
        timer = setTimeout(function () { button.textContent = label; }, 2000);
      }
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy-target"));
        if (!source) return;
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          say("Copied");
        }, function () {
          // Denied: select the text so that Ctrl+C / Cmd+C works.
          var range = document.createRange();
          range.selectNodeContents(source);
          var selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
          say("Copy failed: text selected");
        });
      });
      button.hidden = false;
    });
  }
})();
