// blockboard's own browser code. No inline script anywhere: the CSP allows only same-origin files.
"use strict";

// Start forms (views/job_forms.tsx): the preview must always describe what Start will run.
// - Every change to a form bumps its hidden `previewSeq` before htmx reads the form (capture
//   listeners on the document run before htmx's listeners on the form).
// - The server echoes the number (`X-Preview-Seq`); an answer for an older number is dropped
//   instead of swapped in. hx-sync="replace" also aborts the request it supersedes.
// - While the answer for the current number is outstanding the form is marked `updating`:
//   the preview is dimmed with a note, and Start is disabled and refuses to submit.
// - Pull and commit ask before starting (hx-confirm); the question becomes the preview's own
//   sentence saying exactly what changes.
(function () {
  const FORM = "form.start-form";

  function seqInput(form) {
    return form.querySelector('input[name="previewSeq"]');
  }

  function startButton(form) {
    return form.querySelector('button[type="submit"]');
  }

  /** `updating` (an answer is outstanding), `fresh` or `error` (the shown answer is current). */
  function setState(form, state) {
    form.dataset.previewState = state;
    const preview = form.querySelector("[data-preview]");
    if (preview) preview.setAttribute("aria-busy", state === "updating" ? "true" : "false");
    const button = startButton(form);
    if (button) button.disabled = state === "updating";
  }

  function formOf(node) {
    return node && node.closest ? node.closest(FORM) : null;
  }

  /** The form's fields as the server gets them, without the state number. */
  function serialize(form) {
    const data = new URLSearchParams(new FormData(form));
    data.delete("previewSeq");
    return data.toString();
  }

  // Per form: the fields of the state whose preview is shown or awaited. A `change` that only
  // repeats an `input` (a text field losing focus when Start is clicked) is not a new state.
  const described = new WeakMap();

  function bump(event) {
    const form = formOf(event.target);
    if (!form || !form.querySelector("[data-preview]")) return;
    const input = seqInput(form);
    if (!input || event.target === input) return;
    const fields = serialize(form);
    if (described.get(form) === fields) return;
    described.set(form, fields);
    input.value = String(Number(input.value || "0") + 1);
    setState(form, "updating");
  }
  document.addEventListener("input", bump, true);
  document.addEventListener("change", bump, true);

  function previewEvent(event) {
    const elt = event.target;
    if (!elt || !elt.matches || !elt.matches("[data-preview]")) return null;
    const form = formOf(elt);
    const input = form && seqInput(form);
    return form && input ? { form, current: input.value } : null;
  }

  // A new form's first preview (on load): Start waits for it.
  document.addEventListener("htmx:before:request", function (event) {
    const p = previewEvent(event);
    if (!p || p.form.dataset.previewState) return;
    described.set(p.form, serialize(p.form));
    setState(p.form, "updating");
  });

  // Drop an answer about an older state of the form.
  document.addEventListener("htmx:before:swap", function (event) {
    const p = previewEvent(event);
    if (!p) return;
    const ctx = event.detail && event.detail.ctx;
    const answered = ctx && ctx.response && ctx.response.headers.get("X-Preview-Seq");
    if (answered !== p.current) event.preventDefault();
  });

  document.addEventListener("htmx:after:swap", function (event) {
    const p = previewEvent(event);
    if (!p) return;
    const shown = event.target.querySelector("[data-seq]");
    if (!shown || shown.getAttribute("data-seq") !== p.current) return;
    setState(p.form, shown.classList.contains("error-message") ? "error" : "fresh");
  });

  // A preview request for the current state that failed (network, timeout): let Start through;
  // the server plans afresh on Start and says what is wrong.
  document.addEventListener("htmx:error", function (event) {
    const p = previewEvent(event);
    if (!p || p.form.dataset.previewState !== "updating") return;
    const ctx = event.detail && event.detail.ctx;
    const sent = ctx && ctx.request.body && ctx.request.body.get
      ? ctx.request.body.get("previewSeq")
      : null;
    if (sent === p.current) setState(p.form, "error");
  });

  // Enter in a text field submits without the button: refuse while the preview is updating.
  document.addEventListener("submit", function (event) {
    const form = formOf(event.target);
    if (form && form.dataset.previewState === "updating") {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Ask the preview's own question before a pull or commit.
  document.addEventListener("htmx:confirm", function (event) {
    const form = formOf(event.target);
    if (!form || event.target !== form) return;
    if (form.dataset.previewState === "updating") {
      event.preventDefault();
      event.detail.dropRequest();
      return;
    }
    const plan = form.querySelector("[data-preview] [data-confirm]");
    const question = plan ? plan.getAttribute("data-confirm") : null;
    if (!question) return; // htmx asks the generic question from hx-confirm
    event.preventDefault();
    if (globalThis.confirm(question)) event.detail.issueRequest();
    else event.detail.dropRequest();
  });
})();

// Copy buttons (a new API token on the admin page): `data-copy` names the element to copy.
document.addEventListener("click", function (event) {
  const button = event.target && event.target.closest ? event.target.closest("[data-copy]") : null;
  if (!button) return;
  const source = document.querySelector(button.getAttribute("data-copy"));
  if (!source) return;
  const text = source.textContent || "";
  const done = function (word) {
    button.textContent = word;
  };
  if (navigator.clipboard && globalThis.isSecureContext) {
    navigator.clipboard.writeText(text).then(() => done("Copied"), () => done("Select and copy"));
  } else {
    // No clipboard API (plain HTTP off loopback): select the text for Ctrl+C.
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = globalThis.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    done("Selected: press Ctrl+C");
  }
});
