/* Comment and proposal forms (theme/templates/consultation.html): progressive enhancement.
   Without this script the form posts as HTML and the API answers with a receipt page.
   With it: a form ticket (minimum fill time), an Idempotency-Key per filled-in form, JSON
   submission, inline error messages and an error summary that receives focus (GOV.UK). */
(function () {
  "use strict";
  var form = document.querySelector("[data-comment-form]");
  if (!form || !window.fetch || !window.JSON) { return; }
  var summary = form.querySelector("[data-error-summary]");
  var list = form.querySelector("[data-error-list]");
  var receipt = document.querySelector("[data-receipt]");
  var button = form.querySelector("button[type=submit]");
  var key = null;

  fetch("/api/publishing/form-ticket", { headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) { if (data) { form.elements.ticket.value = data.ticket; } })
    .catch(function () {});

  function fieldId(field) { return "comment-" + field.replace("answers.", "answer-"); }

  function clearErrors() {
    list.textContent = "";
    summary.hidden = true;
    form.querySelectorAll("[data-field]").forEach(function (group) {
      group.classList.remove("hiroba-form-group--error");
      var message = group.querySelector(".hiroba-error-message");
      if (message) { message.hidden = true; message.textContent = ""; }
      var control = group.querySelector("input, textarea, select");
      if (control) {
        control.removeAttribute("aria-invalid");
        var hint = control.id + "-hint";
        control.setAttribute("aria-describedby", document.getElementById(hint) ? hint : "");
      }
    });
  }

  function showErrors(problem) {
    clearErrors();
    var errors = problem.errors || [];
    if (!errors.length) { errors = [{ field: "", message: problem.detail || problem.title }]; }
    errors.forEach(function (error) {
      var item = document.createElement("li");
      var control = error.field ? document.getElementById(fieldId(error.field)) : null;
      if (control) {
        var link = document.createElement("a");
        link.href = "#" + control.id;
        link.textContent = error.message;
        link.addEventListener("click", function (event) { event.preventDefault(); control.focus(); });
        item.appendChild(link);
        var group = control.closest("[data-field]");
        var message = group.querySelector(".hiroba-error-message");
        group.classList.add("hiroba-form-group--error");
        message.textContent = error.message;
        message.hidden = false;
        control.setAttribute("aria-invalid", "true");
        control.setAttribute("aria-describedby",
          ((control.getAttribute("aria-describedby") || "") + " " + message.id).trim());
      } else {
        item.textContent = error.message;
      }
      list.appendChild(item);
    });
    summary.hidden = false;
    summary.focus();
  }

  function body() {
    var data = { answers: {} };
    new FormData(form).forEach(function (value, name) {
      if (name.indexOf("answer-") === 0) { data.answers[name.slice(7)] = value; }
      else { data[name] = value; }
    });
    return data;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!key) { key = window.crypto && crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2); }
    button.disabled = true;
    fetch(form.action, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "Idempotency-Key": key },
      body: JSON.stringify(body())
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) {
          clearErrors();
          form.hidden = true;
          receipt.querySelector("[data-receipt-number]").textContent = data.receipt_number;
          receipt.hidden = false;
          receipt.focus();
          return;
        }
        if (response.status === 409 && data.type && /idempotency/.test(data.type)) { key = null; }
        showErrors(data);
      });
    }).catch(function () {
      showErrors({ detail: "通信できませんでした。接続を確かめて、もう一度送信してください。" });
    }).then(function () { button.disabled = false; });
  });
}());
