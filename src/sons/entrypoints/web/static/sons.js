// sons — comfort only: every page works without this file.
// Forms marked data-live re-send themselves (GET) when an answer changes and replace the
// region marked data-live-region with the server's new rendering: findings update as you type.
(function () {
  "use strict";

  function liveForm(form) {
    var region = document.querySelector("[data-live-region]");
    if (!region) {
      return;
    }
    var pending = null;
    var sequence = 0;

    function refresh() {
      var params = new URLSearchParams(new FormData(form));
      var url = form.getAttribute("action") + "?" + params.toString();
      var mine = ++sequence;
      fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" })
        .then(function (response) {
          return response.text();
        })
        .then(function (html) {
          if (mine !== sequence) {
            return; // an answer changed again meanwhile: a newer response is on its way
          }
          var page = new DOMParser().parseFromString(html, "text/html");
          var fresh = page.querySelector("[data-live-region]");
          if (fresh) {
            region.innerHTML = fresh.innerHTML;
            history.replaceState(null, "", url);
          }
        })
        .catch(function () {
          // Offline or server error: the « Expliquer » button still works.
        });
    }

    form.addEventListener("change", function (event) {
      if (event.target && event.target.hasAttribute("data-reload")) {
        form.submit(); // another dispositif: another questionnaire, load the whole page
        return;
      }
      window.clearTimeout(pending);
      pending = window.setTimeout(refresh, 150);
    });
    form.addEventListener("input", function (event) {
      if (event.target && event.target.type === "text") {
        window.clearTimeout(pending);
        pending = window.setTimeout(refresh, 400);
      }
    });
  }

  function autoSubmit(select) {
    select.addEventListener("change", function () {
      select.form.submit();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-live]").forEach(liveForm);
    document.querySelectorAll("select[data-auto-submit]").forEach(autoSubmit);
  });
})();

// --- Order editor and client questionnaire (helper F) -----------------------------------------
// Forms marked data-live-post send themselves (POST, CSRF token included) to that address when a
// field changes, and replace each region marked data-live-region="<name>" by the region of the
// same name in the answer: each site's implications and the order's findings update as answers
// change. A field marked data-reload submits the whole form instead (another dispositif, another
// questionnaire). Without this script, the form's « Vérifier » button does the same.
(function () {
  "use strict";

  function livePostForm(form) {
    var url = form.getAttribute("data-live-post");
    var pending = null;
    var sequence = 0;

    function refresh() {
      var mine = ++sequence;
      fetch(url, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { Accept: "text/html" },
        credentials: "same-origin",
      })
        .then(function (response) {
          return response.ok ? response.text() : Promise.reject(response.status);
        })
        .then(function (html) {
          if (mine !== sequence) {
            return; // an answer changed again meanwhile: a newer response is on its way
          }
          var page = new DOMParser().parseFromString(html, "text/html");
          page.querySelectorAll("[data-live-region]").forEach(function (fresh) {
            var name = fresh.getAttribute("data-live-region");
            var selector = '[data-live-region="' + CSS.escape(name) + '"]';
            var here = document.querySelector(selector);
            if (here) {
              here.innerHTML = fresh.innerHTML;
            }
          });
          form.setAttribute("data-live-done", String(mine));
        })
        .catch(function () {
          // Offline, expired session or server error: the « Vérifier » button still works.
        });
    }

    function later(delay) {
      window.clearTimeout(pending);
      pending = window.setTimeout(refresh, delay);
    }

    form.addEventListener("change", function (event) {
      if (event.target && event.target.hasAttribute("data-reload")) {
        form.submit();
        return;
      }
      later(150);
    });
    form.addEventListener("input", function (event) {
      var type = event.target && event.target.type;
      if (type === "text" || type === "number" || type === "email") {
        later(400);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-live-post]").forEach(livePostForm);
  });
})();
