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
          var refused = fresh.querySelector(".refused-now");
          var slot = document.querySelector(".refused-slot");
          if (refused && slot) {
            slot.replaceChildren.apply(slot, Array.prototype.slice.call(refused.childNodes));
            refused.remove();
          }
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

  // --- the answer form posted in place ---------------------------------------------------------
  //
  // Save and the workflow steps post the answer form as they always did; with script the
  // reply (the answer page the server redirects to, or the page again with what it refused)
  // replaces the page's main region instead of loading a new document. The server does not
  // know the difference. A reply needing scripts this page has not loaded is shown whole.

  function scriptsLoaded(doc) {
    var here = {};
    document.querySelectorAll("script[src]").forEach(function (script) {
      here[script.src] = true;
    });
    return Array.prototype.every.call(doc.querySelectorAll("script[src]"), function (script) {
      return here[new URL(script.getAttribute("src"), document.baseURI).href];
    });
  }

  function startInlines(root) {
    var $ = window.django && window.django.jQuery;
    if (!$ || !$.fn.stackedFormset) {
      return;
    }
    // As admin/js/inlines.js does on a document's load.
    $(root).find(".js-inline-admin-formset").each(function () {
      var data = $(this).data();
      var options = data.inlineFormset;
      var selector = options.name + "-group .inline-related";
      if (data.inlineType === "stacked") {
        $(selector).stackedFormset(selector, options.options);
      }
    });
    if (window.DateTimeShortcuts) {
      window.DateTimeShortcuts.init();
    }
  }

  var KEPT = "editorial:messages";

  function keepMessages(doc) {
    var said = Array.prototype.map.call(doc.querySelectorAll(".messagelist li"), function (item) {
      return { level: item.className, text: item.textContent };
    });
    try {
      window.sessionStorage.setItem(KEPT, JSON.stringify(said));
    } catch (error) {
      // No storage: the page comes without its messages, as the history still has them.
    }
  }

  function keptMessages() {
    var said;
    try {
      said = JSON.parse(window.sessionStorage.getItem(KEPT) || "[]");
      window.sessionStorage.removeItem(KEPT);
    } catch (error) {
      return;
    }
    var main = document.getElementById("content-start");
    if (!said.length || !main || main.querySelector(".messagelist")) {
      return;
    }
    var list = document.createElement("ul");
    list.className = "messagelist";
    said.forEach(function (message) {
      var item = document.createElement("li");
      item.className = message.level;
      item.textContent = message.text;
      list.appendChild(item);
    });
    main.insertBefore(list, main.firstChild);
  }

  function showPage(reply) {
    var doc = new DOMParser().parseFromString(reply.html, "text/html");
    var main = document.getElementById("content-start");
    var fresh = doc.getElementById("content-start");
    if (!main || !fresh || !scriptsLoaded(doc) || doc.body.className !== document.body.className) {
      if (reply.redirected) {
        // A page to go to (an answer now editable, the next in a queue): loaded as a page,
        // with the messages its rendering here took from the session.
        keepMessages(doc);
        window.location.assign(reply.url);
      } else {
        // A page answering the post itself (the merge page): shown whole.
        document.open();
        document.write(reply.html);
        document.close();
      }
      return;
    }
    if (new URL(reply.url).pathname !== shownPath) {
      window.history.pushState({ editorial: true }, "", reply.url);
      shownPath = window.location.pathname;
    }
    document.title = doc.title;
    var crumbs = document.querySelector(".breadcrumbs");
    var freshCrumbs = doc.querySelector(".breadcrumbs");
    if (crumbs && freshCrumbs) {
      crumbs.replaceWith(freshCrumbs);
    }
    main.replaceWith(fresh);
    startInlines(fresh);
    document.dispatchEvent(new CustomEvent("editorial:page-shown"));
    if (fresh.querySelector(".errornote, .errorlist, .messagelist .error, .stale-diff")) {
      window.scrollTo(0, 0);
    }
    opened();
  }

  function postPage(form, submitter) {
    document.body.setAttribute("aria-busy", "true");
    fetch(window.location.href, {
      method: "POST",
      body: new FormData(form, submitter),
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.text().then(function (html) {
          return { url: response.url, html: html, redirected: response.redirected };
        });
      })
      .then(showPage, function () {
        // Not answered at all (the network): posted as without script; the version the
        // form carries makes a repeat of a post that did land a merge, not a second save.
        form.setAttribute("data-inplace-off", "");
        form.requestSubmit(submitter);
      })
      .finally(function () {
        if (document.body) {
          document.body.removeAttribute("aria-busy"); // (a page shown whole has its own)
        }
      });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id !== "answer_form" || form.hasAttribute("data-inplace-off") || event.defaultPrevented) {
      return;
    }
    if (!window.fetch || !window.DOMParser || form.getAttribute("action")) {
      return;
    }
    event.preventDefault();
    postPage(form, event.submitter);
  });

  // A page put in the history by a post in place is loaded afresh when gone back to (a
  // link to a part of this page, "#claims", is a popstate too: not that).
  var shownPath = window.location.pathname;
  window.addEventListener("popstate", function () {
    if (window.location.pathname !== shownPath) {
      window.location.reload();
    }
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

  function opened(personFirst) {
    keptMessages();
    prepareExcerpts(document);
    if (personFirst) {
      return; // already typing (or elsewhere on the page): the focus and caret stay theirs
    }
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

  // The scripts come after the page is shown (defer), later on a slow machine or network, and
  // the person may have begun by then. Moving the caret to the start of the text then sent
  // the rest of their typing there, and a text selected to be typed over stayed after the new
  // one (a stale save then merged the whole answer in twice).
  function openedOnLoad() {
    var active = document.activeElement;
    opened(active !== null && active !== document.body && active !== document.documentElement);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", openedOnLoad);
  } else {
    openedOnLoad();
  }
})();
