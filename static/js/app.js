/* 重庆市绿色工厂平台 — progressive enhancement only: every page works without this file.
   (a) [data-progress-url] polls a task's progress; (b) [data-confirm] asks before submitting;
   (c) form[data-live-indicators] previews computed indicators while the user types; (d) the export form
   shows only the filters of the chosen report. No inline handlers. */
(function () {
  "use strict";

  var EN = (document.documentElement.lang || "").toLowerCase().indexOf("en") === 0;
  var T = EN
    ? { lost: "Cannot fetch progress. Please refresh the page later.", retry: "Connection problem, retrying…" }
    : { lost: "无法获取进度，请稍后刷新页面。", retry: "连接异常，正在重试……" };
  var TERMINAL = ["succeeded", "failed", "published", "final", "validated", "invalid", "refused", "committed"];
  var POLL_MS = 1500;
  var MAX_FAILURES = 3;

  /* ---------------------------------------------------------------- (a) progress polling */
  function progressMessage(root) {
    var el = root.querySelector(".progress-message");
    if (!el) {
      el = document.createElement("p");
      el.className = "progress-message";
      el.setAttribute("aria-live", "polite");
      root.appendChild(el);
    }
    return el;
  }

  function showProgress(root, data) {
    var pct = Math.max(0, Math.min(100, Math.round(Number(data.progress) || 0)));
    var bar = root.querySelector(".progress-bar");
    var track = root.querySelector(".progress") || root;
    root.setAttribute("data-status", data.status || "");
    track.setAttribute("data-status", data.status || "");
    if (bar) {
      var meter = track.getAttribute("role") === "progressbar" ? track : bar;
      if (!meter.hasAttribute("role")) {
        meter.setAttribute("role", "progressbar");
        meter.setAttribute("aria-valuemin", "0");
        meter.setAttribute("aria-valuemax", "100");
      }
      bar.style.width = pct + "%";
      meter.setAttribute("aria-valuenow", String(pct));
      bar.textContent = pct + "%" + (data.total ? "（" + (data.done || 0) + "/" + data.total + "）" : "");
    }
    if (data.message) {
      var msg = progressMessage(root);
      msg.classList.toggle("is-error", data.status === "failed");
      msg.textContent = data.message;
    }
  }

  /* Reload at most once per URL in 15 s, so a page that still shows a finished task cannot loop. */
  function finish(root, url) {
    var target = root.getAttribute("data-done-url");
    var key = "progress-reload:" + url;
    var last = Number(window.sessionStorage && sessionStorage.getItem(key)) || 0;
    if (!target && Date.now() - last < 15000) return;
    if (window.sessionStorage) sessionStorage.setItem(key, String(Date.now()));
    if (target) window.location.assign(target);
    else window.location.reload();
  }

  function poll(root) {
    var url = root.getAttribute("data-progress-url");
    var failures = 0;
    if (TERMINAL.indexOf(root.getAttribute("data-status")) !== -1) return;
    function tick() {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.json();
        })
        .then(function (data) {
          failures = 0;
          showProgress(root, data);
          if (TERMINAL.indexOf(data.status) !== -1) finish(root, url);
          else window.setTimeout(tick, POLL_MS);
        })
        .catch(function () {
          failures += 1;
          var msg = progressMessage(root);
          msg.classList.add("is-error");
          msg.textContent = failures >= MAX_FAILURES ? T.lost : T.retry;
          if (failures < MAX_FAILURES) window.setTimeout(tick, POLL_MS * (failures + 1));
        });
    }
    window.setTimeout(tick, POLL_MS);
  }

  /* A bar's starting width comes from data-width: a style attribute would be refused by the page's
     Content-Security-Policy (style-src 'self'), while setting element.style from a script is allowed. */
  function startWidth(bar) {
    var pct = Math.max(0, Math.min(100, Math.round(Number(bar.getAttribute("data-width")) || 0)));
    bar.style.width = pct + "%";
  }

  /* ---------------------------------------------------------------- (b) confirmation */
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var el = submitter && submitter.hasAttribute("data-confirm") ? submitter : event.target;
    var question = el.getAttribute && el.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-confirm]");
    if (link && !window.confirm(link.getAttribute("data-confirm"))) event.preventDefault();
  });

  /* ---------------------------------------------------------------- (b2) select all rows */
  /* A checkbox with data-select-all="NAME" ticks or clears every checkbox named NAME in its form. */
  document.addEventListener("change", function (event) {
    var box = event.target;
    var name = box.getAttribute && box.getAttribute("data-select-all");
    if (!name || !box.form) return;
    Array.prototype.forEach.call(box.form.querySelectorAll("input[type=checkbox][name='" + name + "']"),
      function (other) { other.checked = box.checked; });
  });

  /* ---------------------------------------------------------------- (c) live indicators */
  function liveIndicators(form) {
    var url = form.getAttribute("data-live-indicators");
    var target = document.getElementById("live-indicators");
    var timer = null;
    var seq = 0;
    if (!url || !target) return;
    function send() {
      var mine = ++seq;
      var token = form.querySelector("input[name=csrfmiddlewaretoken]");
      target.setAttribute("aria-busy", "true");
      fetch(url, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.value : "", "X-Requested-With": "XMLHttpRequest" },
      })
        .then(function (r) {
          if (!r.ok) throw new Error("HTTP " + r.status);
          return r.text();
        })
        .then(function (html) {
          if (mine === seq) target.innerHTML = html; /* drop answers that arrive out of order */
        })
        .catch(function () { /* the preview is a convenience; the saved form is the source of truth */ })
        .then(function () {
          if (mine === seq) target.removeAttribute("aria-busy");
        });
    }
    function schedule() {
      window.clearTimeout(timer);
      timer = window.setTimeout(send, 400);
    }
    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
  }

  /* ---------------------------------------------------------------- (d) export filters */
  /* A select[data-report-filters] names, on each option, the filters that report takes (data-filters);
     every [data-filter] field of its form that does not apply is hidden and disabled, so it is not sent. */
  function reportFilters(select) {
    function apply() {
      var option = select.options[select.selectedIndex];
      var wanted = ((option && option.getAttribute("data-filters")) || "").split(" ");
      Array.prototype.forEach.call(select.form.querySelectorAll("[data-filter]"), function (field) {
        var on = wanted.indexOf(field.getAttribute("data-filter")) !== -1;
        field.hidden = !on;
        Array.prototype.forEach.call(field.querySelectorAll("select, input"), function (input) {
          input.disabled = !on;
        });
      });
    }
    select.addEventListener("change", apply);
    apply();
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll(".progress-bar[data-width]"), startWidth);
    Array.prototype.forEach.call(document.querySelectorAll("[data-progress-url]"), poll);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-live-indicators]"), liveIndicators);
    Array.prototype.forEach.call(document.querySelectorAll("select[data-report-filters]"), reportFilters);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
