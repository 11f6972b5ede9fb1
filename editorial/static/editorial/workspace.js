// The answer workspace: claims settled in place, excerpts offered from the sources, the focus
// where the work is, and the keyboard shortcuts listed on the page.
//
// Plain fetch rather than htmx: one kind of request (a claims form posted, its panel sent
// back), a few dozen lines, no new dependency to vet and keep up, and the forms still post as
// they always did without JavaScript (progressive enhancement: the server answers the same
// POST either way and only looks at the X-Editorial-Inplace header to choose the reply).
(function () {
  "use strict";

  var HEADER = "X-Editorial-Inplace";

  function answerVersionFields() {
    return document.querySelectorAll('input[name="loaded_version"][form="answer_form"]');
  }

  // --- excerpts: a source picked offers its excerpt; words selected in it are quoted -----

  function offerExcerpt(select) {
    var target = document.querySelector(select.getAttribute("data-excerpt-into"));
    var option = select.options[select.selectedIndex];
    if (!target || !option) {
      return;
    }
    var offered = option.getAttribute("data-excerpt") || "";
    // Only what was offered is replaced, never what the person typed.
    if (target.value === "" || target.value === target.getAttribute("data-offered")) {
      target.value = offered;
    }
    target.setAttribute("data-offered", offered);
    var shown = select.parentNode.querySelector("blockquote.source-excerpt");
    if (shown) {
      shown.textContent = offered;
      shown.hidden = offered === "";
    }
  }

  function prepareExcerpts(root) {
    root.querySelectorAll("select[data-excerpt-into]").forEach(function (select) {
      var target = document.querySelector(select.getAttribute("data-excerpt-into"));
      var option = select.options[select.selectedIndex];
      if (target && option) {
        target.setAttribute("data-offered", option.getAttribute("data-excerpt") || "");
      }
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("select[data-excerpt-into]")) {
      offerExcerpt(event.target);
    }
  });

  document.addEventListener("mouseup", function (event) {
    var quote = event.target.closest && event.target.closest("blockquote.source-excerpt");
    if (!quote) {
      return;
    }
    var selected = String(window.getSelection()).trim();
    var target = document.querySelector(quote.getAttribute("data-excerpt-into"));
    if (selected && target) {
      target.value = selected;
      target.focus();
    }
  });

  // --- focus where the work is -------------------------------------------------------------

  function nextClaimControl(root) {
    var form = (root || document).querySelector("form.claim-form-open");
    if (!form) {
      return null;
    }
    return form.querySelector('textarea[name="excerpt"]') || form.querySelector('textarea[name="reason"]');
  }

  function focusNextClaim(root) {
    var control = nextClaimControl(root);
    if (control) {
      control.focus();
      return true;
    }
    return false;
  }

  // A new source row: its first field, not the "Add another" link it was added from.
  document.addEventListener("formset:added", function (event) {
    var first = event.target.querySelector("input:not([type=hidden]), textarea, select");
    if (first) {
      first.focus();
    }
  });

  // --- claims settled in place ---------------------------------------------------------------

  function settleInPlace(form, submitter) {
    var panel = document.querySelector(form.getAttribute("data-inplace"));
    var posted = form.querySelector('input[name="loaded_version"]').value;
    var body = new FormData(form, submitter);
    var headers = {};
    headers[HEADER] = "1";
    panel.classList.add("inplace-busy");
    panel.setAttribute("aria-busy", "true");
    // getAttribute: the form's own "action" property is its buttons named "action".
    return fetch(form.getAttribute("action"), { method: "POST", body: body, headers: headers, credentials: "same-origin" })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("text/html") !== 0 || !response.headers.get("X-Editorial-Version")) {
          throw new Error("not a panel");
        }
        return response.text().then(function (html) {
          return {
            ok: response.headers.get("X-Editorial-Outcome") === "settled",
            html: html,
            version: response.headers.get("X-Editorial-Version"),
          };
        });
      })
      .then(function (reply) {
        var parsed = new DOMParser().parseFromString(reply.html, "text/html");
        var fresh = parsed.getElementById(panel.id);
        panel.replaceWith(fresh);
        prepareExcerpts(fresh);
        if (reply.ok) {
          // The answer form's typing started from the version before this settlement, whose
          // text is the same: it may now save on the new version. A page already behind
          // keeps its own, so that its save is still merged with what others stored.
          answerVersionFields().forEach(function (field) {
            if (field.value === posted) {
              field.value = reply.version;
            }
          });
          var count = document.querySelector("[data-claims-count]");
          var left = Number(fresh.getAttribute("data-unsettled"));
          if (count) {
            count.textContent = left ? left + (left === 1 ? " claim" : " claims") + " to settle before approval" : "All claims settled";
          }
          if (!focusNextClaim(fresh)) {
            fresh.querySelector(".inplace-message").setAttribute("tabindex", "-1");
            fresh.querySelector(".inplace-message").focus();
          }
        } else {
          var message = fresh.querySelector(".inplace-message");
          message.setAttribute("tabindex", "-1");
          message.focus();
        }
      })
      .catch(function () {
        // Anything unexpected (a login page, a server error): the form posts as without script.
        form.setAttribute("data-inplace-off", "");
        if (submitter) {
          form.requestSubmit(submitter);
        } else {
          form.submit();
        }
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-inplace]") || form.hasAttribute("data-inplace-off") || !window.fetch) {
      return;
    }
    event.preventDefault();
    settleInPlace(form, event.submitter);
  });

  // --- keyboard shortcuts (listed on the page under "Keyboard shortcuts") -----------------------

  function press(selector) {
    var control = document.querySelector(selector);
    if (control && !control.disabled) {
      control.click();
      return true;
    }
    return false;
  }

  var SHORTCUTS = {
    KeyS: function () {
      return press('button[name="_continue"][form="answer_form"]');
    },
    KeyU: function () {
      return press('button[name="step"][value="submit"]');
    },
    KeyA: function () {
      return press('button[name="step"][value="approve"]');
    },
    KeyR: function () {
      var comment = document.getElementById("id_wf_comment");
      if (comment && comment.value.trim() === "") {
        comment.focus(); // a request for changes says what to change
        return true;
      }
      return press('button[name="step"][value="request_changes"]');
    },
    KeyN: function () {
      var next = document.querySelector("a.next-answer");
      if (next) {
        window.location.assign(next.href);
        return true;
      }
      return false;
    },
    KeyE: function () {
      var text = document.getElementById("id_text");
      if (text) {
        text.focus();
        return true;
      }
      return false;
    },
    KeyC: function () {
      return focusNextClaim(document);
    },
  };

  document.addEventListener("keydown", function (event) {
    if (!event.altKey || !event.shiftKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var shortcut = SHORTCUTS[event.code];
    if (shortcut && shortcut()) {
      event.preventDefault();
    }
  });

  // --- on opening -------------------------------------------------------------------------------

  function opened() {
    prepareExcerpts(document);
    if (document.querySelector(".errornote, .errorlist, .messagelist .error")) {
      return; // the page says what went wrong: the person reads it from the top
    }
    var text = document.getElementById("id_text");
    var saved = document.querySelector(".messagelist .success");
    if (window.location.hash === "#claims" || (saved && nextClaimControl(document))) {
      // After a save or a settlement without script: the next claim to settle.
      if (focusNextClaim(document)) {
        return;
      }
    }
    if (text && !text.readOnly && !text.disabled) {
      text.focus({ preventScroll: true });
      text.setSelectionRange(0, 0);
      return;
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", opened);
  } else {
    opened();
  }
})();
