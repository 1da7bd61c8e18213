// paperfeed builder: live feed URLs and preview while typing. The page
// works without this script; it only saves the round trip of submitting.
(function () {
  "use strict";
  // Copy buttons: on the builder page and on a static export's page.
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("button.copy");
    if (!btn) return;
    var input = document.getElementById(btn.dataset.copy);
    if (!input) return;
    var label = btn.textContent;
    function done() { btn.textContent = "Copied"; setTimeout(function () { btn.textContent = label; }, 1500); }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
    } else {
      input.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* selected: the user can copy */ }
    }
  });

  // A personal feed's page answered to the form that made it: the address
  // bar shows the feed's own address (its key, to bookmark), and a reload
  // reads the page instead of making another feed.
  var own = document.querySelector("main[data-own-url]");
  if (own && window.history && location.pathname !== own.dataset.ownUrl) {
    history.replaceState(null, "", own.dataset.ownUrl);
  }

  var form = document.getElementById("builder");
  var result = document.getElementById("result");
  if (!form || !result || !window.fetch) return;
  document.documentElement.classList.add("js");

  function query() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (typeof value === "string" && value.trim() !== "" && !(key === "format" && value === "rss")) params.append(key, value.trim());
    });
    return params.toString();
  }

  var timer = null, inflight = null, last = null;
  function update() {
    var qs = query();
    if (qs === last) return;
    last = qs;
    if (inflight) inflight.abort();
    inflight = new AbortController();
    fetch((form.dataset.preview || "/preview") + (qs ? "?" + qs : ""), { signal: inflight.signal, headers: { "Accept": "text/html" } })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        result.innerHTML = html; // server-rendered, escaped by html/template
        // The address bar shows the filter's canonical form when it is valid.
        var c = document.getElementById("canonical");
        var shown = qs;
        if (c && c.dataset.valid === "1") {
          var params = new URLSearchParams(c.dataset.query);
          var fmt = new FormData(form).get("format");
          if (fmt && fmt !== "rss") params.set("format", fmt);
          shown = params.toString();
        }
        history.replaceState(null, "", shown ? "?" + shown : location.pathname);
        syncAlternates();
      })
      .catch(function (e) { if (e.name !== "AbortError") console.warn("preview failed", e); });
  }

  // Keep the autodiscovery links in step with the feed URLs shown.
  function syncAlternates() {
    document.querySelectorAll('link[rel="alternate"]').forEach(function (l) { l.remove(); });
    var title = document.getElementById("feed-title");
    result.querySelectorAll('input.feed-url[data-feed="1"]').forEach(function (input) {
      var link = document.createElement("link");
      link.rel = "alternate";
      link.type = input.dataset.type;
      link.href = input.value;
      link.title = title ? title.textContent : "paperfeed";
      document.head.appendChild(link);
    });
  }

  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(update, 250); });
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(update, 50); });

})();
