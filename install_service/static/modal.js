/*
 * The install modal's page script (runs inside the iframe, or on the hosted Alloy Link page).
 *
 * - Takes the user token from the URL (Alloy's SDK) and strips it from the address bar, or
 *   receives it by postMessage from embedded.js ({type: "alloy:token"}) after announcing
 *   {type: "alloy:ready"}. The token lives only in memory and is sent by HTMX in the
 *   x-alloy-user-token header: no cookie, so blocked third-party cookies don't matter.
 * - Posts the Alloy messages to the parent only at its exact origin, and only when that
 *   origin is one of the ISV's allowed origins: {showModal}, {workflowCreated, workflowIds},
 *   {closeModal}.
 */
(function () {
  'use strict';

  var TOKEN_HEADER = 'x-alloy-user-token';
  var HANDSHAKE_TIMEOUT_MS = 10000;
  var modal = document.getElementById('modal');
  var params = new URLSearchParams(window.location.search);
  var token = params.get('token');
  var allowed = [];
  try { allowed = JSON.parse((modal && modal.getAttribute('data-allowed-origins')) || '[]'); } catch (e) { allowed = []; }

  if (token) {
    params.delete('token');
    var rest = params.toString();
    window.history.replaceState(null, '', window.location.pathname + (rest ? '?' + rest : '') + window.location.hash);
  }

  function guessParentOrigin() {
    if (params.get('parentOrigin')) return params.get('parentOrigin');
    if (window.location.ancestorOrigins && window.location.ancestorOrigins.length) return window.location.ancestorOrigins[0];
    try { return new URL(document.referrer).origin; } catch (e) { return null; }
  }

  var framed = window.parent !== window;
  var parentOrigin = framed ? guessParentOrigin() : null;
  var parentAllowed = !!parentOrigin && allowed.indexOf(parentOrigin) !== -1;

  function post(message) {
    if (framed && parentAllowed) window.parent.postMessage(message, parentOrigin);
  }

  document.body.addEventListener('htmx:configRequest', function (event) {
    if (token) event.detail.headers[TOKEN_HEADER] = token;
  });

  var shown = false;
  function announceIfNeedsInput(root) {
    if (!shown && root.querySelector('[data-needs-input]')) {
      shown = true;
      post({ showModal: true });
    }
  }

  function focusStep(root) {
    var target = root.querySelector('[aria-invalid="true"]') || root.querySelector('#form-summary') ||
      root.querySelector('h2[tabindex]') || root.querySelector('input:not([type=hidden]), select, button[type=submit]');
    if (target) target.focus();
  }

  document.body.addEventListener('htmx:afterSwap', function (event) {
    announceIfNeedsInput(document);
    focusStep(event.detail.target);
  });

  document.body.addEventListener('alloy:installed', function (event) {
    post({ workflowCreated: true, workflowIds: event.detail.workflowIds || [] });
  });

  // Hosted Alloy Link page: after the success screen, go back to the ISV when asked to.
  var REDIRECT_DELAY_MS = 3000;
  document.body.addEventListener('htmx:afterSettle', function () {
    var success = document.querySelector('[data-redirect-url]');
    if (success && !framed) {
      window.setTimeout(function () { window.location.assign(success.getAttribute('data-redirect-url')); }, REDIRECT_DELAY_MS);
    }
  });

  function close() {
    if (framed) post({ closeModal: true });
    else if (modal && modal.getAttribute('data-close-url')) window.location.assign(modal.getAttribute('data-close-url'));
  }

  // A hosted page (not framed) with nowhere to go back to has nothing to close: hide the
  // Close/Done buttons rather than show buttons that do nothing.
  function hideDeadCloseButtons(root) {
    if (framed || (modal && modal.getAttribute('data-close-url'))) return;
    root.querySelectorAll('[data-close]').forEach(function (button) { button.hidden = true; });
  }
  hideDeadCloseButtons(document);
  document.body.addEventListener('htmx:afterSwap', function (event) { hideDeadCloseButtons(event.detail.target); });

  document.addEventListener('click', function (event) {
    if (event.target.closest && event.target.closest('[data-close]')) close();
  });
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape') close();
  });

  // Clear a field's error as soon as the user changes it; flag empty required fields on blur.
  document.addEventListener('input', function (event) {
    var field = event.target.closest && event.target.closest('.field');
    if (!field || !field.classList.contains('has-error')) return;
    field.classList.remove('has-error');
    event.target.removeAttribute('aria-invalid');
    var error = field.querySelector('.field-error');
    if (error) error.hidden = true;
  });
  document.addEventListener('focusout', function (event) {
    var input = event.target;
    if (!input.hasAttribute || !input.hasAttribute('data-required') || input.value.trim()) return;
    var field = input.closest('.field');
    var error = field && field.querySelector('.field-error');
    var label = field && field.querySelector('label');
    if (!error || !label) return;
    field.classList.add('has-error');
    input.setAttribute('aria-invalid', 'true');
    error.textContent = 'Enter your ' + label.firstChild.textContent.trim().toLowerCase();
    error.hidden = false;
  });

  if (modal && modal.hasAttribute('data-handshake')) {
    var timer = window.setTimeout(function () {
      document.getElementById('modal-body').textContent = 'This install window did not receive a user token. Close it and try again.';
      post({ showModal: true });
    }, HANDSHAKE_TIMEOUT_MS);
    window.addEventListener('message', function onMessage(event) {
      if (event.source !== window.parent || event.origin !== parentOrigin || !parentAllowed) return;
      var data = event.data;
      if (!data || data.type !== 'alloy:token' || typeof data.token !== 'string') return;
      window.removeEventListener('message', onMessage);
      window.clearTimeout(timer);
      token = data.token;
      window.htmx.ajax('GET', modal.getAttribute('data-step-url'), { target: '#modal-body', swap: 'innerHTML' });
    });
    post({ type: 'alloy:ready' });
  } else {
    announceIfNeedsInput(document);
  }
})();
