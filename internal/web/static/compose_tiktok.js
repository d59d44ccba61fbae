// compose_tiktok.js keeps compose's TikTok block in step with the form:
// the commercial content choices and their label, the declaration above
// the buttons, inbox accounts (the block gives way to a note), and what
// TikTok says of the chosen accounts, which arrives with each live check
// (compose.js's "compose:checked" event): who is posting, the audiences
// offered, the interactions turned off, the kind of post, the preview.
// The server renders all of it too; the form works without this file.
(function () {
  "use strict";

  var form = document.getElementById("compose");
  var block = document.querySelector("[data-tiktok]");
  if (!form || !block) return;
  var $ = function (sel, root) { return (root || document).querySelector(sel); };
  var $$ = function (sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); };
  var msg = function (name) { return block.getAttribute("data-msg-" + name) || ""; };

  var commercial = $("[data-tt-commercial]", block);
  var organic = $("[data-tt-organic]", block);
  var content = $("[data-tt-content]", block);
  var consent = document.getElementById("tiktok-consent");
  var inboxNote = document.getElementById("tiktok_inbox");
  var privacy = $("[data-tt-privacy]", block);

  // The chosen TikTok accounts: any, one posting directly, one uploading
  // to its inbox.
  function chosen() {
    var c = { any: false, direct: false, inbox: false };
    $$('input[name="account"][data-platform="tiktok"]', form).forEach(function (box) {
      if (!box.checked) return;
      c.any = true;
      if (box.hasAttribute("data-tiktok-inbox")) c.inbox = true; else c.direct = true;
    });
    return c;
  }

  function branded() { return commercial.checked && content.checked; }

  function syncCommercial() {
    $("[data-tt-brand]", block).hidden = !commercial.checked;
    var label = $("[data-tt-label]", block), text = "";
    if (branded()) text = msg("label-paid");
    else if (commercial.checked && organic.checked) text = msg("label-promo");
    label.textContent = text;
    label.hidden = !text;
    syncMode();
  }

  function syncMode() {
    var c = chosen();
    block.hidden = c.inbox && !c.direct;
    if (inboxNote) inboxNote.hidden = !c.inbox;
    $("[data-tt-pick]", block).hidden = c.any;
    if (consent) {
      consent.textContent = branded() ? msg("consent-branded") : msg("consent");
      consent.hidden = !c.direct;
    }
  }

  // What TikTok says of the chosen accounts.
  function renderAccounts(list) {
    var ul = $("[data-tt-accounts]", block);
    ul.textContent = "";
    list.forEach(function (a) {
      var li = document.createElement("li");
      if (a.error) {
        li.className = "field-error";
        li.textContent = a.error;
      } else {
        var strong = document.createElement("strong");
        strong.textContent = a.name;
        li.appendChild(document.createTextNode(a.before));
        li.appendChild(strong);
        li.appendChild(document.createTextNode(a.after));
      }
      ul.appendChild(li);
    });
  }

  // The audiences, only as TikTok offers them, "Choose…" first. The
  // operator's choice stays while it is offered (an answer to an older
  // check may arrive after it was made); none is ever made for them.
  function renderLevels(levels) {
    var current = privacy.value, kept = null;
    $$("option", privacy).forEach(function (o) {
      if (o.value === "") return;
      if (o.value === current && levels.length === 0) kept = o; // TikTok gave no answer: keep what the draft has
      else o.remove();
    });
    levels.forEach(function (l) {
      var o = document.createElement("option");
      o.value = l.value;
      o.textContent = l.label;
      privacy.appendChild(o);
    });
    var offered = kept || levels.some(function (l) { return l.value === current; });
    privacy.value = offered ? current : "";
  }

  function renderAllow(allow) {
    allow.forEach(function (a) {
      var item = $('[data-tt-allow="' + a.key + '"]', block);
      if (!item) return;
      var box = $('input[type="checkbox"]', item);
      item.hidden = a.hidden;
      box.disabled = a.off;
      if (a.off) box.checked = false;
      $("[data-tt-off]", item).hidden = !a.off;
    });
  }

  // The 9:16 preview: the video or first photo, the caption over it.
  function renderPreview(tt, res) {
    var frame = $('[data-preview="tiktok"] [data-tt-frame]');
    if (!frame) return;
    var caption = $(".tt-caption", frame);
    $$("video, img, .tt-none", frame).forEach(function (el) {
      var keep = tt.preview && el.getAttribute("src") === tt.preview.url &&
        (el.tagName === "VIDEO") === tt.preview.video;
      if (!keep) el.remove();
    });
    if (tt.preview && !$("video, img", frame)) {
      var el = document.createElement(tt.preview.video ? "video" : "img");
      el.src = tt.preview.url;
      if (tt.preview.video) {
        el.preload = "metadata"; el.muted = true; el.controls = true; el.setAttribute("playsinline", "");
      } else {
        el.alt = "";
      }
      frame.insertBefore(el, caption);
    }
    var custom = $('[data-customize="tiktok"]', form);
    var text = custom && custom.checked ? document.getElementById("override_tiktok").value : document.getElementById("body").value;
    var fit = -1;
    (res.counters || []).forEach(function (c) { if (c.platform === "tiktok" && c.part === 0) fit = c.fit_end; });
    caption.textContent = "";
    var p = document.createElement("p");
    p.className = "ptext";
    p.textContent = fit >= 0 ? text.slice(0, fit) : text;
    if (fit >= 0) {
      var m = document.createElement("mark");
      m.textContent = text.slice(fit);
      p.appendChild(m);
    }
    caption.appendChild(p);
  }

  form.addEventListener("compose:checked", function (ev) {
    var res = ev.detail || {}, tt = res.tiktok;
    if (!tt) return;
    renderAccounts(tt.accounts || []);
    renderLevels(tt.levels || []);
    $("[data-tt-unaudited]", block).hidden = !tt.unaudited;
    renderAllow(tt.allow || []);
    $("[data-tt-photo]", block).hidden = !tt.photo;
    renderPreview(tt, res);
    syncMode();
  });

  [commercial, organic, content].forEach(function (box) { box.addEventListener("change", syncCommercial); });
  form.addEventListener("change", function (ev) {
    if (ev.target.name === "account") syncMode();
  });
  // Opening the tab asks TikTok again (the server keeps an answer for a
  // minute, within TikTok's limit of 20 questions a minute).
  var tab = document.getElementById("tab-tiktok");
  if (tab) tab.addEventListener("click", function () { form.dispatchEvent(new Event("change")); });
  syncCommercial();
})();
