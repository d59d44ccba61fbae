// compose.js enhances the compose form: platform tabs (with each tab's
// options and media choice), live counters and media badges from the
// server (/compose/check), media uploads with progress, reordering, quick
// picks for the time, the "post now" confirmation in place, keyboard
// shortcuts, a local copy of everything typed, and one submit at a time.
// The form works without it.
(function () {
  "use strict";

  var PREFIX = "snsos.compose.";

  // After a save, the page tells us which local copies are no longer needed.
  var clear = document.querySelector("[data-compose-clear]");
  if (clear) {
    clear.getAttribute("data-compose-clear").split(" ").forEach(function (k) {
      try { localStorage.removeItem(PREFIX + k); } catch (e) { /* storage off */ }
    });
  }

  var form = document.getElementById("compose");
  if (!form) return;
  var key = PREFIX + form.getAttribute("data-key");
  var msg = function (name) { return form.getAttribute("data-msg-" + name) || ""; };
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };

  // ---- Tabs (ARIA tabs pattern) ----
  var tabs = function () { return $$('[role="tab"]', form).filter(function (t) { return !t.hidden; }); };
  function selectTab(tab, focus) {
    $$('[role="tab"]', form).forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      var panel = document.getElementById(t.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    });
    if (focus) tab.focus();
  }
  $$('[role="tab"]', form).forEach(function (t) {
    t.addEventListener("click", function () { selectTab(t, false); });
    t.addEventListener("keydown", function (ev) {
      var list = tabs(), i = list.indexOf(t), next = null;
      if (ev.key === "ArrowRight") next = list[(i + 1) % list.length];
      else if (ev.key === "ArrowLeft") next = list[(i - 1 + list.length) % list.length];
      else if (ev.key === "Home") next = list[0];
      else if (ev.key === "End") next = list[list.length - 1];
      if (next) { ev.preventDefault(); selectTab(next, true); }
    });
  });
  selectTab(document.getElementById("tab-all"), false);

  function selectedPlatforms() {
    var set = {};
    $$('input[name="account"]', form).forEach(function (c) { if (c.checked) set[c.getAttribute("data-platform")] = true; });
    return set;
  }
  function syncTabs() {
    var sel = selectedPlatforms(), any = false;
    $$("[data-platform-tab]", form).forEach(function (t) {
      t.hidden = !sel[t.getAttribute("data-platform-tab")];
      if (t.hidden && t.getAttribute("aria-selected") === "true") selectTab(document.getElementById("tab-all"), false);
    });
    // A preview per selected platform.
    $$("[data-preview]", form).forEach(function (pv) {
      pv.hidden = !sel[pv.getAttribute("data-preview")];
      any = any || !pv.hidden;
    });
    var none = document.getElementById("preview-none");
    if (none) none.hidden = any;
  }
  syncTabs();
  // After "Split into parts" the server asks for the platform's tab.
  var openTab = document.getElementById("tab-" + (form.getAttribute("data-open-tab") || "all"));
  if (openTab && !openTab.hidden) selectTab(openTab, false);

  // ---- Phone layout: Editor / Preview (CSS shows the switch below 640 px) ----
  var viewSwitch = document.getElementById("compose-view");
  function setView(v) {
    form.setAttribute("data-view", v);
    $$("[data-view]", viewSwitch).forEach(function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-view") === v ? "true" : "false");
    });
  }
  if (viewSwitch) {
    viewSwitch.hidden = false;
    $$("[data-view]", viewSwitch).forEach(function (b) {
      b.addEventListener("click", function () { setView(b.getAttribute("data-view")); });
    });
    setView("editor");
  }

  // ---- Customize for a platform ----
  var body = document.getElementById("body");
  function syncCustom(box) {
    var k = box.getAttribute("data-customize");
    var panel = $('[data-panel="' + k + '"]', form);
    var area = document.getElementById("override_" + k);
    if (box.checked && area.value === "") { area.value = body.value; area.setAttribute("data-base", body.value); }
    $("[data-override]", panel).hidden = !box.checked;
    $("[data-uses-base]", panel).hidden = box.checked;
    var dot = $("#tab-" + k + " .dot", form);
    if (dot) dot.hidden = !box.checked;
  }
  $$("[data-customize]", form).forEach(function (box) {
    var area = document.getElementById("override_" + box.getAttribute("data-customize"));
    area.setAttribute("data-base", body.value);
    syncCustom(box);
    box.addEventListener("change", function () { syncCustom(box); changed(); });
  });
  function baseChanged() {
    $$("[data-customize]", form).forEach(function (box) {
      var k = box.getAttribute("data-customize");
      var area = document.getElementById("override_" + k);
      var note = $('[data-panel="' + k + '"] [data-base-changed]', form);
      note.textContent = msg("basechanged");
      note.hidden = !box.checked || area.getAttribute("data-base") === body.value;
    });
  }

  // ---- Thread parts ----
  function renumberParts(list) {
    var k = list.getAttribute("data-parts");
    var items = $$("li", list);
    items.forEach(function (li, i) {
      var area = $("textarea", li), label = $("label", li);
      area.id = "part_" + k + "_" + i;
      label.setAttribute("for", area.id);
      label.textContent = (i + 1) + "/" + items.length;
    });
  }
  function addPart(k, text) {
    var list = document.getElementById("part_" + k);
    var li = document.createElement("li");
    li.className = "field part";
    var label = document.createElement("label");
    var area = document.createElement("textarea");
    area.name = "part_" + k;
    area.rows = 4;
    area.value = text || "";
    var rm = document.createElement("button");
    rm.type = "button";
    rm.className = "linkbutton";
    rm.textContent = msg("removepart");
    rm.addEventListener("click", function () { li.remove(); renumberParts(list); changed(); });
    li.appendChild(label); li.appendChild(area); li.appendChild(rm);
    list.appendChild(li);
    renumberParts(list);
    return area;
  }
  $$("[data-thread-toggle]", form).forEach(function (box) {
    var k = box.getAttribute("data-thread-toggle");
    var list = document.getElementById("part_" + k);
    var sync = function () {
      list.hidden = !box.checked;
      if (box.checked && $$("li", list).length === 0) {
        var custom = $('[data-customize="' + k + '"]', form);
        addPart(k, custom && custom.checked ? document.getElementById("override_" + k).value : body.value);
      }
    };
    box.addEventListener("change", function () { sync(); changed(); });
    sync();
  });
  $$("[data-addpart]", form).forEach(function (b) {
    b.addEventListener("click", function (ev) {
      ev.preventDefault();
      var k = b.getAttribute("data-addpart");
      var box = $('[data-thread-toggle="' + k + '"]', form);
      if (!box.checked) { box.checked = true; box.dispatchEvent(new Event("change")); }
      addPart(k, "").focus();
      changed();
    });
  });

  // ---- Each tab's media: same as the post, chosen (ordered), or none ----
  function tmodeOf(k) {
    var r = $('input[name="tmedia_mode_' + k + '"]:checked', form);
    return r ? r.value : "same";
  }
  function renumberTmedia(list) {
    var n = 0;
    $$(".tmedia-item", list).forEach(function (li) {
      var box = $('input[type="checkbox"]', li), num = $(".num", li);
      if (box.checked) n++;
      if (num) num.textContent = box.checked ? String(n) : "";
    });
  }
  function syncTmode(k) {
    var list = $('[data-tmedia-list="' + k + '"]', form);
    if (list) list.hidden = tmodeOf(k) !== "choose";
  }
  function wireTmediaItem(li) {
    $$("button[data-tmove]", li).forEach(function (b) {
      b.type = "button";
      b.addEventListener("click", function () {
        var list = li.parentNode;
        if (b.getAttribute("data-tmove") === "-1" && li.previousElementSibling) list.insertBefore(li, li.previousElementSibling);
        else if (b.getAttribute("data-tmove") === "1" && li.nextElementSibling) list.insertBefore(li.nextElementSibling, li);
        renumberTmedia(list); changed(); b.focus();
      });
    });
    var box = $('input[type="checkbox"]', li);
    if (box) box.addEventListener("change", function () { renumberTmedia(li.parentNode); });
  }
  // A tab's list follows the tray: items removed go, new ones come last
  // (checked while the tab uses the post's media).
  function syncTmediaLists() {
    var tray = $$("#tray .tray-item[data-media]", form);
    var ids = tray.map(function (li) { return li.getAttribute("data-media"); });
    $$("[data-tmedia-list]", form).forEach(function (list) {
      var k = list.getAttribute("data-tmedia-list");
      $$(".tmedia-item", list).forEach(function (li) {
        if (ids.indexOf(li.getAttribute("data-media")) < 0) li.remove();
      });
      var same = tmodeOf(k) === "same";
      tray.forEach(function (t) {
        var id = t.getAttribute("data-media");
        var li = $('.tmedia-item[data-media="' + id + '"]', list);
        if (!li) list.appendChild(tmediaItem(k, id, t, same));
        else if (same) list.appendChild(li); // the post's order
      });
      renumberTmedia(list);
      var empty = $("[data-tmedia-empty]", list.parentNode);
      if (empty) empty.hidden = ids.length > 0;
    });
  }
  function tmediaItem(k, id, trayItem, checked) {
    var li = document.createElement("li");
    li.className = "tmedia-item";
    li.setAttribute("data-media", id);
    var order = document.createElement("input");
    order.type = "hidden"; order.name = "tmedia_order_" + k; order.value = id;
    var num = document.createElement("span"); num.className = "num"; num.setAttribute("aria-hidden", "true");
    var label = document.createElement("label"); label.className = "check";
    var box = document.createElement("input");
    box.type = "checkbox"; box.name = "tmedia_" + k; box.value = id; box.checked = checked;
    label.appendChild(box);
    var img = $("img.thumb", trayItem);
    if (img) { var t = document.createElement("img"); t.src = img.src; t.alt = ""; t.className = "thumb small"; label.appendChild(t); }
    var name = document.createElement("span"); name.className = "fname"; name.textContent = $(".fname", trayItem).textContent;
    label.appendChild(name);
    var actions = document.createElement("span"); actions.className = "tray-actions";
    [["up", "-1"], ["down", "1"]].forEach(function (a) {
      var b = trayButton(msg(a[0]), name.textContent, function () {});
      b.setAttribute("data-tmove", a[1]);
      actions.appendChild(b);
    });
    li.appendChild(order); li.appendChild(num); li.appendChild(label); li.appendChild(actions);
    wireTmediaItem(li);
    return li;
  }
  $$("[data-tmedia-list]", form).forEach(function (list) {
    $$(".tmedia-item", list).forEach(wireTmediaItem);
    syncTmode(list.getAttribute("data-tmedia-list"));
  });
  $$("[data-tmode]", form).forEach(function (r) {
    r.addEventListener("change", function () { syncTmode(r.getAttribute("data-tmode")); });
  });

  // ---- Instagram: Share to feed is for reels ----
  var resolvedTypes = {};
  $$("[data-share]", form).forEach(function (box) {
    resolvedTypes[box.getAttribute("data-share")] = box.getAttribute("data-resolved") || "";
  });
  function syncShare() {
    $$("[data-share]", form).forEach(function (box) {
      var k = box.getAttribute("data-share");
      var r = $('input[name="media_type_' + k + '"]:checked', form);
      var chosen = r ? r.value : "";
      box.hidden = !(chosen === "REELS" || (chosen === "" && resolvedTypes[k] === "REELS"));
    });
  }
  $$("[data-type]", form).forEach(function (r) { r.addEventListener("change", syncShare); });
  syncShare();

  // ---- Live counters from the server ----
  var timer = null, inflight = null;
  function formParams() {
    var p = new URLSearchParams();
    new FormData(form).forEach(function (v, k) { if (typeof v === "string") p.append(k, v); });
    return p;
  }
  function setList(el, items) {
    el.textContent = "";
    items.forEach(function (s) { var li = document.createElement("li"); li.textContent = s; el.appendChild(li); });
  }
  function render(res) {
    var box = document.getElementById("counters");
    box.textContent = "";
    res.counters.forEach(function (c) {
      var p = document.createElement("p");
      p.className = "counter c-" + c.state;
      p.setAttribute("data-counter", c.platform);
      p.textContent = c.line;
      c.problems.forEach(function (pr) {
        var s = document.createElement("span"); s.className = "problem"; s.textContent = (msg("dot") || " · ") + pr; p.appendChild(s);
      });
      box.appendChild(p);
    });
    document.getElementById("cost").textContent = res.cost || "";
    setList(document.getElementById("quota"), res.quota);
    var blocking = document.getElementById("blocking");
    setList($("ul", blocking), res.blocking);
    blocking.hidden = res.blocking.length === 0;
    var utc = document.getElementById("utc");
    var terr = res.time_errors || {};
    utc.textContent = terr.zone || terr.date || terr.time || res.utc || "";
    utc.classList.toggle("field-error", !!(terr.zone || terr.date || terr.time));
    renderTargets(res.targets || []);
    renderMedia(res);
    renderNextFree(res.next_free);
    ["approve", "approve-schedule", "approve-now"].forEach(function (id) {
      var b = document.getElementById(id);
      if (b) b.setAttribute("aria-disabled", res.blocking.length ? "true" : "false");
    });
    renderPreviews(res);
    form.dispatchEvent(new CustomEvent("compose:checked", { detail: res })); // compose_tiktok.js
  }
  function renderTargets(targets) {
    targets.forEach(function (tc) {
      var k = tc.platform;
      resolvedTypes[k] = tc.media_type;
      var auto = $('[data-auto="' + k + '"]', form);
      if (auto) auto.textContent = tc.auto || "";
      var note = $('[data-link-note="' + k + '"]', form);
      if (note) { note.textContent = tc.link_note || ""; note.hidden = !tc.link_note; }
    });
    syncShare();
  }
  function badgeList(li) {
    var ul = $("[data-badges]", li);
    if (!ul) {
      ul = document.createElement("ul");
      ul.className = "badges";
      ul.setAttribute("data-badges", "");
      li.insertBefore(ul, $(".tray-actions", li));
    }
    return ul;
  }
  function renderMedia(res) {
    var byId = {};
    var altById = {};
    (res.media || []).forEach(function (m) { byId[String(m.id)] = m.badges; altById[String(m.id)] = m.alt_errors; });
    $$("#tray .tray-item[data-media]", form).forEach(function (li) {
      var ul = badgeList(li);
      ul.textContent = "";
      (byId[li.getAttribute("data-media")] || []).forEach(function (b) {
        var item = document.createElement("li");
        item.className = "mbadge " + (b.unused ? "unused" : b.ok ? "ok" : "bad");
        item.textContent = b.text;
        ul.appendChild(item);
        if (b.convert) {
          // A plain submit: the server converts and sends the form back.
          var c = document.createElement("button");
          c.type = "submit"; c.name = "do"; c.value = "convert:" + li.getAttribute("data-media");
          c.className = "linkbutton convert"; c.setAttribute("data-convert", "");
          c.textContent = msg("convert");
          var cli = document.createElement("li");
          cli.className = "mconvert";
          cli.appendChild(c);
          ul.appendChild(cli);
        }
      });
    });
    $$("#tray .tray-item[data-media]", form).forEach(function (li) {
      renderAlt(li, altById[li.getAttribute("data-media")] || []);
    });
    var errs = document.getElementById("media-errors");
    if (errs) {
      setList(errs, res.media_errors || []);
      errs.hidden = !(res.media_errors || []).length;
    }
  }
  // The live alt text check, next to the field: it replaces the message
  // of a refused submit, which it repeats or which no longer holds.
  function renderAlt(li, errs) {
    var area = $("textarea[data-alt]", li);
    if (!area) return;
    var id = area.id, out = document.getElementById(id + "-check");
    if (!out) {
      out = document.createElement("p");
      out.className = "field-error";
      out.id = id + "-check";
      out.setAttribute("data-alt-check", "");
      area.parentNode.appendChild(out);
    }
    var old = document.getElementById(id + "-error");
    if (old) old.remove();
    out.textContent = errs.join(" ");
    out.hidden = errs.length === 0;
    var desc = (area.getAttribute("aria-describedby") || "").split(" ").filter(function (d) {
      return d && d !== id + "-error" && d !== id + "-check";
    });
    if (errs.length) desc.push(id + "-check");
    area.setAttribute("aria-describedby", desc.join(" "));
    if (errs.length) area.setAttribute("aria-invalid", "true"); else area.removeAttribute("aria-invalid");
  }
  function textsFor(k) {
    var thread = $('[data-thread-toggle="' + k + '"]', form);
    if (thread && thread.checked) return $$('textarea[name="part_' + k + '"]', form).map(function (a) { return a.value; });
    var custom = $('[data-customize="' + k + '"]', form);
    if (custom && custom.checked) return [document.getElementById("override_" + k).value];
    return [body.value];
  }
  function cutUnits(s, n) { return [s.slice(0, n), s.slice(n)]; }
  // The target's images, from the tray's thumbnails.
  function previewImages(pv, ids) {
    var urls = ids.map(function (id) {
      var img = $('#tray .tray-item[data-media="' + id + '"] img.thumb', form);
      return img ? img.src : null;
    }).filter(Boolean);
    var kind = pv.getAttribute("data-kind");
    if (kind === "instagram") {
      var frame = $("[data-frame]", pv), dots = $("[data-dots]", pv);
      var first = $("img", frame);
      if (urls.length && first) first.src = urls[0];
      else if (urls.length) { frame.textContent = ""; var img = document.createElement("img"); img.src = urls[0]; img.alt = ""; frame.appendChild(img); }
      if (dots) {
        var vh = $(".vh", dots);
        $$(".ig-dot", dots).forEach(function (d) { d.remove(); });
        if (ids.length > 1) ids.forEach(function (id, i) {
          var d = document.createElement("span"); d.className = "ig-dot" + (i === 0 ? " on" : ""); d.setAttribute("aria-hidden", "true"); d.textContent = "●";
          dots.insertBefore(d, vh);
        });
        dots.hidden = ids.length < 2;
      }
      return;
    }
    var box = $("[data-pimages]", pv);
    if (!box) {
      box = document.createElement("div");
      box.setAttribute("data-pimages", "");
      pv.appendChild(box);
    }
    if (kind === "x") urls = urls.slice(0, 4);
    box.className = "pimages n" + urls.length + (kind === "threads" ? " row" : "");
    box.textContent = "";
    urls.forEach(function (u) { var img = document.createElement("img"); img.src = u; img.alt = ""; box.appendChild(img); });
    box.hidden = urls.length === 0;
  }
  // Instagram folds the caption after about 125 characters ("…more").
  function renderCaption(pv, text) {
    var box = $(".preview-parts", pv);
    var fold = parseInt(box.getAttribute("data-fold"), 10) || 125;
    var chars = Array.from(text);
    box.textContent = "";
    var p = document.createElement("p"); p.className = "ptext";
    var who = document.createElement("strong"); who.className = "ig-handle"; who.textContent = box.getAttribute("data-handle");
    p.appendChild(who);
    p.appendChild(document.createTextNode(chars.length > fold ? chars.slice(0, fold).join("") : text));
    if (chars.length > fold) {
      var more = document.createElement("span"); more.className = "more"; more.textContent = box.getAttribute("data-more");
      p.appendChild(more);
    }
    box.appendChild(p);
  }
  function renderPreviews(res) {
    var ids = {};
    (res.targets || []).forEach(function (tc) { ids[tc.platform] = tc.media_ids; });
    $$("[data-preview]", document).forEach(function (pv) {
      var k = pv.getAttribute("data-preview");
      if (pv.getAttribute("data-kind") === "tiktok") return; // compose_tiktok.js draws it
      if (ids[k]) previewImages(pv, ids[k]);
      if (pv.getAttribute("data-kind") === "instagram") { renderCaption(pv, textsFor(k)[0] || ""); return; }
      var box = $(".preview-parts", pv);
      box.textContent = "";
      textsFor(k).forEach(function (text, i) {
        var p = document.createElement("p");
        p.className = "ptext";
        var fit = -1;
        res.counters.forEach(function (c) { if (c.platform === k && c.part === i) fit = c.fit_end; });
        if (fit >= 0) {
          var parts = cutUnits(text, fit);
          p.appendChild(document.createTextNode(parts[0]));
          var m = document.createElement("mark");
          m.title = $("mark", pv) ? $("mark", pv).title : "";
          m.textContent = parts[1];
          p.appendChild(m);
        } else {
          p.textContent = text;
        }
        box.appendChild(p);
      });
    });
  }
  function signedOut() {
    document.getElementById("compose-session").hidden = false;
    document.getElementById("compose-resigned").hidden = true;
  }
  // Sign in again in place: the page, and everything typed, stay.
  var resignin = document.getElementById("compose-resignin");
  if (resignin) resignin.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var pw = document.getElementById("resignin-password"), err = document.getElementById("resignin-error");
    fetch(resignin.getAttribute("action"), {
      method: "POST", body: new URLSearchParams(new FormData(resignin)), redirect: "manual", credentials: "same-origin"
    }).then(function (r) {
      pw.value = "";
      if (r.type !== "opaqueredirect") { err.hidden = false; pw.setAttribute("aria-invalid", "true"); pw.focus(); return; }
      err.hidden = true;
      pw.removeAttribute("aria-invalid");
      document.getElementById("compose-session").hidden = true;
      document.getElementById("compose-resigned").hidden = false;
      check();
    }).catch(function () { err.hidden = false; });
  });
  function check() {
    if (inflight) inflight.abort();
    inflight = new AbortController();
    fetch(form.getAttribute("data-check"), {
      method: "POST", body: formParams(), redirect: "manual", signal: inflight.signal,
      headers: { "Accept": "application/json" }, credentials: "same-origin"
    }).then(function (r) {
      if (r.type === "opaqueredirect" || r.status === 401 || r.status === 303) { signedOut(); return null; }
      if (!r.ok) return null;
      document.getElementById("compose-session").hidden = true;
      return r.json();
    }).then(function (res) { if (res) render(res); }).catch(function () { /* offline: the Check button still works */ });
  }
  function schedule() { clearTimeout(timer); timer = setTimeout(check, 300); }

  // ---- Local copy of everything typed ----
  function snapshot() {
    var fields = [];
    new FormData(form).forEach(function (v, k) { if (typeof v === "string" && k !== "token" && k !== "do") fields.push([k, v]); });
    var media = $$("#tray .tray-item", form).map(function (li) {
      return { id: li.getAttribute("data-media"), url: ($("img", li) || {}).src || "", name: $(".fname", li).textContent };
    });
    return { at: Date.now(), fields: fields, media: media };
  }
  function same(a, b) { return JSON.stringify(a.fields) === JSON.stringify(b.fields); }
  var initial = snapshot();
  function save() {
    var s = snapshot();
    try {
      if (same(s, initial)) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(s));
    } catch (e) { /* storage full or off */ }
  }
  function restore(s) {
    var vals = {};
    s.fields.forEach(function (f) { (vals[f[0]] = vals[f[0]] || []).push(f[1]); });
    $$('input[type="checkbox"], input[type="radio"]', form).forEach(function (c) {
      if (c.name === "media" || !(c.name in vals) && c.type === "radio") return;
      c.checked = (vals[c.name] || []).indexOf(c.value) >= 0;
    });
    $$("[data-restore]", form).forEach(function (el) { el.value = (vals[el.name] || [""])[0]; });
    ["body", "date", "time", "zone"].forEach(function (n) { if (vals[n]) form.elements[n].value = vals[n][0]; });
    $$("textarea[data-override-text]", form).forEach(function (a) { a.value = (vals[a.name] || [""])[0]; });
    $$("[data-parts]", form).forEach(function (list) {
      var k = list.getAttribute("data-parts");
      list.textContent = "";
      (vals["part_" + k] || []).forEach(function (t) { addPart(k, t); });
    });
    $$("#tray .tray-item", form).forEach(function (li) { li.remove(); });
    (s.media || []).forEach(function (m) {
      addTrayItem({ id: m.id, url: m.url, image: !!m.url, filename: m.name, alt: (vals["alt_" + m.id] || [""])[0] });
    });
    $$("[data-customize]", form).forEach(syncCustom);
    $$("[data-thread-toggle]", form).forEach(function (b) { document.getElementById("part_" + b.getAttribute("data-thread-toggle")).hidden = !b.checked; });
    syncTmediaLists();
    $$("[data-tmedia-list]", form).forEach(function (list) {
      var k = list.getAttribute("data-tmedia-list");
      (vals["tmedia_order_" + k] || []).forEach(function (id) {
        var li = $('.tmedia-item[data-media="' + id + '"]', list);
        if (li) list.appendChild(li);
      });
      if ("tmedia_order_" + k in vals) $$('input[type="checkbox"]', list).forEach(function (c) {
        c.checked = (vals[c.name] || []).indexOf(c.value) >= 0;
      });
      renumberTmedia(list);
      syncTmode(k);
    });
    syncShare();
    syncTabs();
  }
  try {
    var stored = JSON.parse(localStorage.getItem(key) || "null");
    if (stored && stored.fields && !same(stored, initial) && !document.getElementById("error-summary")) {
      restore(stored);
      var when = new Date(stored.at);
      var hm = ("0" + when.getHours()).slice(-2) + ":" + ("0" + when.getMinutes()).slice(-2);
      document.getElementById("compose-restored-text").textContent = msg("restored").replace("{{.Time}}", hm);
      document.getElementById("compose-restored").hidden = false;
      document.getElementById("compose-discard").addEventListener("click", function () {
        localStorage.removeItem(key);
        location.reload();
      });
    }
  } catch (e) { /* unreadable copy: ignore */ }

  function changed() { baseChanged(); save(); schedule(); }
  form.addEventListener("input", function (ev) {
    if (ev.isComposing) return; // Japanese IME: wait for compositionend
    if (ev.target.name === "account") syncTabs();
    changed();
  });
  form.addEventListener("change", function (ev) {
    if (ev.target.name === "account") syncTabs();
    if (ev.target.type !== "file" && !ev.target.hasAttribute("data-pick")) changed();
  });
  form.addEventListener("compositionend", changed);

  // ---- Media tray ----
  var tray = document.getElementById("tray");
  function renumber() {
    $$(".tray-item", tray).forEach(function (li, i) { var n = $(".num", li); if (n) n.textContent = String(i + 1); });
    syncTmediaLists();
  }
  function trayButton(label, name, fn) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "linkbutton";
    b.textContent = label;
    var vh = document.createElement("span"); vh.className = "vh"; vh.textContent = msg("subject") ? msg("subject").replace("{{.Text}}", name) : " " + name; b.appendChild(vh);
    b.addEventListener("click", fn);
    return b;
  }
  function wireTrayItem(li) {
    $$("button[data-move], button[data-remove]", li).forEach(function (b) {
      b.type = "button";
      b.addEventListener("click", function () {
        if (b.hasAttribute("data-remove")) li.remove();
        else if (b.getAttribute("data-move") === "-1" && li.previousElementSibling) tray.insertBefore(li, li.previousElementSibling);
        else if (b.getAttribute("data-move") === "1" && li.nextElementSibling) tray.insertBefore(li.nextElementSibling, li);
        renumber(); changed(); b.focus();
      });
    });
  }
  $$(".tray-item", tray).forEach(wireTrayItem);
  function addTrayItem(m, replace) {
    if ($('.tray-item[data-media="' + m.id + '"]', tray)) { if (replace) replace.remove(); return; }
    var li = document.createElement("li");
    li.className = "tray-item";
    li.setAttribute("data-media", m.id);
    var input = document.createElement("input");
    input.type = "hidden"; input.name = "media"; input.value = m.id;
    var num = document.createElement("span"); num.className = "num"; num.setAttribute("aria-hidden", "true");
    li.appendChild(input); li.appendChild(num);
    if (m.image && m.url) {
      var img = document.createElement("img"); img.src = m.url; img.alt = ""; img.className = "thumb"; li.appendChild(img);
    } else {
      var f = document.createElement("span"); f.className = "thumb file"; f.setAttribute("aria-hidden", "true"); f.textContent = "▶"; li.appendChild(f);
    }
    var name = document.createElement("span"); name.className = "fname"; name.textContent = m.filename || ("#" + m.id); li.appendChild(name);
    var badges = document.createElement("ul"); badges.className = "badges"; badges.setAttribute("data-badges", ""); li.appendChild(badges);
    var actions = document.createElement("span"); actions.className = "tray-actions";
    [["left", "-1"], ["right", "1"], ["remove", null]].forEach(function (a) {
      var b = trayButton(msg(a[0]), name.textContent, function () {});
      if (a[1]) b.setAttribute("data-move", a[1]); else b.setAttribute("data-remove", "");
      actions.appendChild(b);
    });
    li.appendChild(actions);
    // Alt text, as the server renders it (alt_<media id>).
    var alt = document.createElement("div"); alt.className = "alt-field";
    var altLabel = document.createElement("label"); altLabel.htmlFor = "alt_" + m.id; altLabel.textContent = msg("alt");
    var altVh = document.createElement("span"); altVh.className = "vh"; altVh.textContent = " " + name.textContent; altLabel.appendChild(altVh);
    var altText = document.createElement("textarea");
    altText.id = "alt_" + m.id; altText.name = "alt_" + m.id; altText.rows = 2; altText.setAttribute("data-alt", "");
    altText.setAttribute("aria-describedby", "alt_" + m.id + "-hint");
    altText.value = m.alt || "";
    var altHint = document.createElement("p"); altHint.className = "hint"; altHint.id = "alt_" + m.id + "-hint"; altHint.textContent = msg("alt-hint");
    alt.appendChild(altLabel); alt.appendChild(altText); alt.appendChild(altHint);
    li.appendChild(alt);
    if (replace) tray.replaceChild(li, replace); else tray.appendChild(li);
    wireTrayItem(li);
    renumber();
  }

  function upload(file, slot) {
    var li = slot || document.createElement("li");
    li.className = "tray-item uploading";
    li.textContent = "";
    var label = document.createElement("span");
    label.className = "fname";
    label.textContent = msg("uploading").replace("{{.Name}}", file.name);
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    bar.setAttribute("aria-label", label.textContent);
    li.appendChild(label); li.appendChild(bar);
    if (!slot) tray.appendChild(li);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("data-upload"));
    xhr.setRequestHeader("X-Filename", encodeURIComponent(file.name));
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", function (ev) {
      if (ev.lengthComputable) bar.value = Math.round(ev.loaded * 100 / ev.total);
    });
    var fail = function (why) {
      li.className = "tray-item failed";
      li.textContent = "";
      var p = document.createElement("span");
      p.className = "field-error";
      p.setAttribute("role", "alert");
      p.textContent = msg("failed") + " — " + file.name + (why ? ": " + why : "");
      li.appendChild(p);
      li.appendChild(trayButton(msg("retry"), file.name, function () { upload(file, li); }));
      li.appendChild(trayButton(msg("remove"), file.name, function () { li.remove(); renumber(); }));
    };
    xhr.addEventListener("load", function () {
      var res = null;
      try { res = JSON.parse(xhr.responseText); } catch (e) { /* not JSON: signed out? */ }
      if (xhr.status === 201 && res) { addTrayItem(res, li); changed(); return; }
      if (!res && xhr.responseURL && xhr.responseURL.indexOf("/signin") >= 0) signedOut();
      fail(res && res.error);
    });
    xhr.addEventListener("error", function () { fail(""); });
    xhr.addEventListener("abort", function () { fail(""); });
    xhr.send(file);
  }
  var files = document.getElementById("files");
  if (files) {
    files.addEventListener("change", function () {
      Array.prototype.forEach.call(files.files, function (f) { upload(f); });
      files.value = ""; // uploaded already: not sent again with the form
    });
    var zone = document.getElementById("dropzone");
    ["dragenter", "dragover"].forEach(function (t) {
      zone.addEventListener(t, function (ev) { ev.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (t) {
      zone.addEventListener(t, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (ev) {
      ev.preventDefault();
      Array.prototype.forEach.call(ev.dataTransfer.files, function (f) { upload(f); });
    });
  }
  $$("[data-pick]", form).forEach(function (c) {
    c.addEventListener("change", function () {
      if (!c.checked) return;
      c.checked = false;
      addTrayItem({ id: c.value, url: c.getAttribute("data-url"), image: c.getAttribute("data-image") === "true", filename: c.getAttribute("data-name") });
      c.closest("li").hidden = true;
      changed();
    });
  });

  // ---- Submitting: once ----
  var submitting = false;
  form.addEventListener("submit", function (ev) {
    if (submitting) { ev.preventDefault(); return; }
    submitting = true;
    var by = ev.submitter;
    if (by && by.name) {
      var h = document.createElement("input");
      h.type = "hidden"; h.name = by.name; h.value = by.value;
      form.appendChild(h);
    }
    if (by && /^(split|convert|tmedia):/.test(by.value)) {
      // The server sends the form back changed: the local copy would undo it.
      try { localStorage.removeItem(key); } catch (e) { /* storage off */ }
    } else {
      save();
      document.getElementById("save-status").textContent = msg("saving");
    }
    setTimeout(function () {
      $$('button[type="submit"]', form).forEach(function (b) { b.disabled = true; });
    }, 0);
  });
  window.addEventListener("pageshow", function () {
    submitting = false;
    $$('button[type="submit"]', form).forEach(function (b) { b.disabled = false; });
  });

  // ---- Approve: schedule when a time is set, else post now (asking first) ----
  var dateInput = document.getElementById("date"), timeInput = document.getElementById("time");
  var nowButton = document.getElementById("approve-now"), scheduleButton = document.getElementById("approve-schedule");
  var confirmBox = document.getElementById("confirm-now");
  function hasTime() { return !!(dateInput.value || timeInput.value); }
  function syncPrimary() {
    var timed = hasTime();
    if (nowButton) nowButton.hidden = timed;
    if (scheduleButton) scheduleButton.classList.toggle("secondary", !timed);
    if (timed && confirmBox) confirmBox.hidden = true;
  }
  function confirmText() {
    var names = $$('input[name="account"]', form).filter(function (c) { return c.checked; }).map(function (c) {
      var span = $("span", c.closest("label"));
      return span ? span.textContent : "";
    });
    return msg("confirm").replace("{{.Targets}}", names.join(msg("sep")));
  }
  function openConfirm() {
    if (!confirmBox) return;
    if (!$('input[name="account"]:checked', form)) { form.requestSubmit(nowButton); return; } // the server says what is missing
    var blocking = document.getElementById("blocking");
    if (blocking && !blocking.hidden && $("li", blocking)) { form.requestSubmit(nowButton); return; } // the server shows the problems
    document.getElementById("confirm-now-text").textContent = confirmText();
    confirmBox.hidden = false;
    document.getElementById("confirm-now-yes").focus();
  }
  if (nowButton) nowButton.addEventListener("click", function (ev) { ev.preventDefault(); openConfirm(); });
  var confirmNo = document.getElementById("confirm-now-no");
  if (confirmNo) confirmNo.addEventListener("click", function (ev) {
    ev.preventDefault();
    confirmBox.hidden = true;
    if (nowButton && !nowButton.hidden) nowButton.focus();
  });
  // Any input re-decides (a script or the browser may fill the fields
  // without an event of their own).
  form.addEventListener("input", syncPrimary);
  form.addEventListener("change", syncPrimary);
  form.addEventListener("change", function (ev) {
    if (ev.target.name === "account" && confirmBox && !confirmBox.hidden) {
      document.getElementById("confirm-now-text").textContent = confirmText();
    }
  });
  syncPrimary();

  // ---- Quick picks: fill the date and time in the chosen zone ----
  function zoneParts(iso, zone) {
    try {
      var parts = {};
      new Intl.DateTimeFormat("en-CA", {
        timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
      }).formatToParts(new Date(iso)).forEach(function (p) { parts[p.type] = p.value; });
      return { date: parts.year + "-" + parts.month + "-" + parts.day, time: parts.hour + ":" + parts.minute };
    } catch (e) { return null; }
  }
  function wirePick(b) {
    b.addEventListener("click", function (ev) {
      ev.preventDefault();
      var at = zoneParts(b.getAttribute("data-quick"), form.elements.zone.value) ||
        { date: b.getAttribute("data-date"), time: b.getAttribute("data-time") };
      dateInput.value = at.date;
      timeInput.value = at.time;
      syncPrimary();
      changed();
      timeInput.focus();
    });
  }
  $$("button[data-quick]", form).forEach(wirePick);
  function renderNextFree(nf) {
    var li = document.getElementById("pick-next"), picks = document.getElementById("picks");
    if (!picks) return;
    if (!nf) { if (li) li.hidden = true; picks.hidden = !$("li:not([hidden])", picks); return; }
    if (!li) {
      li = document.createElement("li");
      li.id = "pick-next";
      var nb = document.createElement("button");
      nb.type = "submit"; nb.name = "do"; nb.className = "chip-pick";
      li.appendChild(nb);
      wirePick(nb);
      var list = $(".picks-list", picks);
      list.insertBefore(li, list.firstChild);
    }
    var b = $("button", li);
    b.value = "pick:" + nf.at;
    b.setAttribute("data-quick", nf.at);
    b.setAttribute("data-date", nf.date);
    b.setAttribute("data-time", nf.time);
    b.textContent = nf.label;
    li.hidden = false;
    picks.hidden = false;
  }

  // ---- Keyboard (never while an IME is composing) ----
  document.addEventListener("keydown", function (ev) {
    if (ev.isComposing || ev.keyCode === 229) return;
    if (!(ev.ctrlKey || ev.metaKey) || ev.altKey) return;
    if ((ev.key === "s" || ev.key === "S") && !ev.shiftKey) {
      ev.preventDefault();
      form.requestSubmit(document.getElementById("save-draft"));
    } else if (ev.key === "Enter" && !ev.shiftKey) {
      ev.preventDefault();
      if (hasTime()) form.requestSubmit(scheduleButton);
      else openConfirm();
    }
  });

  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  baseChanged();
})();
