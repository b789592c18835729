// The portal's one script. Every page works without it; it only enhances: suggestions while
// typing (from /api/v1/suggest), results and facets refreshed in place while the address
// follows (history.pushState), and copy buttons.
(function () {
  "use strict";
  var doc = document;
  doc.documentElement.classList.add("js");

  // Links and forms of the search pages that stay on the same page: refreshed in place.
  function samePage(url) {
    return url.origin === location.origin && url.pathname === location.pathname;
  }

  // Says something to screen readers (the region stays outside what is refreshed).
  function announce(text) {
    var live = doc.getElementById("live");
    if (live) live.textContent = text;
  }

  var loading = null;
  // focus: "results", "box", or {facet, value} to put focus back where the reader was.
  function load(href, push, focus) {
    if (loading) loading.abort();
    var ctl = new AbortController();
    loading = ctl;
    var main = doc.getElementById("main");
    var fold = doc.querySelector(".facets .fold");
    var folded = fold && !fold.open;
    main.setAttribute("aria-busy", "true");
    fetch(href, { signal: ctl.signal, headers: { Accept: "text/html" } })
      .then(function (r) {
        if (!r.ok && r.status !== 404) throw new Error(r.status);
        return r.text();
      })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, "text/html");
        var fresh = next.getElementById("main");
        if (!fresh) throw new Error("no main");
        main.innerHTML = fresh.innerHTML;
        doc.title = next.title;
        ["canonical", "prev", "next", "alternate"].forEach(function (rel) {
          var old = doc.head.querySelector('link[rel="' + rel + '"]');
          var neu = next.head.querySelector('link[rel="' + rel + '"]');
          if (old) old.remove();
          if (neu) doc.head.appendChild(neu);
        });
        if (push) {
          // The address is the page's own canonical one: sorted, without defaults.
          var canon = next.head.querySelector('link[rel="canonical"]');
          var url = canon ? new URL(canon.href) : new URL(href, location.href);
          history.pushState({ portal: 1 }, "", url.pathname + url.search);
        }
        main.removeAttribute("aria-busy");
        enhance();
        var newFold = doc.querySelector(".facets .fold");
        if (newFold && folded) newFold.open = false;
        var showing = doc.getElementById("results-h");
        if (showing) announce(showing.textContent);
        restoreFocus(focus);
      })
      .catch(function (e) {
        if (e.name === "AbortError") return;
        location.href = href; // let the browser answer it as a plain navigation
      });
  }

  function restoreFocus(focus) {
    var target = null;
    if (focus && focus.facet) {
      doc.querySelectorAll('.facet[aria-labelledby="' + focus.facet + '"] a.fv').forEach(function (a) {
        var v = a.querySelector(".v");
        if (!target && v && v.textContent === focus.value) target = a;
      });
    } else if (focus === "box") {
      target = doc.getElementById("q");
    }
    if (!target && focus) {
      target = doc.getElementById("results");
    }
    if (target) target.focus();
  }

  function focusOf(a) {
    if (a.matches("a.fv")) {
      var sec = a.closest(".facet"), v = a.querySelector(".v");
      if (sec && v) return { facet: sec.getAttribute("aria-labelledby"), value: v.textContent };
    }
    return "results";
  }

  doc.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest("a[href]");
    if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
    if (!a.closest(".facets, .chips, .pages, .tags, .empty")) return;
    var url = new URL(a.href, location.href);
    if (!samePage(url)) return;
    ev.preventDefault();
    load(url.href, true, focusOf(a));
  });

  doc.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.matches(".searchbox, .sort") || (form.method || "get").toLowerCase() !== "get") return;
    var url = new URL(form.action, location.href);
    if (!samePage(url)) return;
    ev.preventDefault();
    var params = new URLSearchParams(new FormData(form));
    if (params.get("q") === "") params.delete("q");
    url.search = params.toString();
    closeSuggest();
    load(url.href, true, form.matches(".sort") ? "results" : "box");
  });

  window.addEventListener("popstate", function () {
    if (doc.querySelector(".searchbox")) load(location.href, false, null);
  });

  // Suggestions: a listbox under the box, arrows to move, Enter to take, Escape to close.
  var timer = 0, active = -1, asked = "";
  function closeSuggest() {
    var list = doc.getElementById("q-suggest"), input = doc.getElementById("q");
    if (!list || !input) return;
    list.hidden = true;
    list.textContent = "";
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }
  function showSuggest(items) {
    var list = doc.getElementById("q-suggest"), input = doc.getElementById("q");
    list.textContent = "";
    active = -1;
    items.forEach(function (s, i) {
      var li = doc.createElement("li");
      li.id = "q-s" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.dataset.text = s.text;
      li.appendChild(doc.createTextNode(s.text + " "));
      var k = doc.createElement("span");
      k.className = "k";
      k.textContent = s.kind;
      li.appendChild(k);
      li.addEventListener("mousedown", function (ev) {
        ev.preventDefault();
        take(li.dataset.text);
      });
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
    input.setAttribute("aria-expanded", items.length ? "true" : "false");
  }
  function take(text) {
    var input = doc.getElementById("q");
    var words = input.value.split(/\s+/);
    words[words.length - 1] = /\s/.test(text) ? '"' + text + '"' : text;
    input.value = words.join(" ") + " ";
    closeSuggest();
    input.focus();
  }
  function move(by) {
    var opts = doc.querySelectorAll("#q-suggest li");
    if (!opts.length) return;
    if (active >= 0) opts[active].setAttribute("aria-selected", "false");
    active = (active + by + opts.length) % opts.length;
    opts[active].setAttribute("aria-selected", "true");
    doc.getElementById("q").setAttribute("aria-activedescendant", opts[active].id);
  }
  function wireBox() {
    var input = doc.getElementById("q");
    if (!input || input.dataset.wired) return;
    input.dataset.wired = "1";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", "q-suggest");
    input.setAttribute("aria-expanded", "false");
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var last = input.value.split(/\s+/).pop();
      if (last.length < 2 || /[:"()*]/.test(last)) return closeSuggest();
      timer = setTimeout(function () {
        asked = last;
        fetch("/api/v1/suggest?limit=8&q=" + encodeURIComponent(last))
          .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
          .then(function (j) {
            // Only for what the box still ends with: a late answer to older typing is dropped.
            if (asked === last && input.value.split(/\s+/).pop() === last) showSuggest(j.suggestions || []);
          })
          .catch(closeSuggest);
      }, 120);
    });
    input.addEventListener("keydown", function (ev) {
      var list = doc.getElementById("q-suggest");
      if (!list || list.hidden) return;
      if (ev.key === "ArrowDown") { ev.preventDefault(); move(1); }
      else if (ev.key === "ArrowUp") { ev.preventDefault(); move(-1); }
      else if (ev.key === "Escape") { ev.preventDefault(); closeSuggest(); }
      else if (ev.key === "Enter" && active >= 0) {
        ev.preventDefault();
        take(doc.querySelectorAll("#q-suggest li")[active].dataset.text);
      }
    });
    input.addEventListener("blur", function () { setTimeout(closeSuggest, 150); });
  }

  // Copy buttons: shown only where the script can copy.
  function wireCopy() {
    doc.querySelectorAll("button.copy[data-copy]").forEach(function (b) {
      if (!navigator.clipboard || b.dataset.wired) return;
      b.dataset.wired = "1";
      b.hidden = false;
      b.addEventListener("click", function () {
        var src = doc.getElementById(b.dataset.copy);
        if (!src) return;
        navigator.clipboard.writeText(src.textContent).then(function () {
          var was = b.textContent;
          b.textContent = "Copied";
          announce("Copied to the clipboard");
          setTimeout(function () { b.textContent = was; }, 1500);
        });
      });
    });
  }

  // (On a phone the facet panel is folded by the page itself, before it is first painted.)
  function enhance() {
    wireBox();
    wireCopy();
  }
  enhance();
})();
