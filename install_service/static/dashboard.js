/*
 * Dashboard page script (Share, Settings): a Copy button copies the value of the field
 * named by its data-copy attribute and says "Copied" in the live region named by
 * data-copy-status. navigator.clipboard where the page is a secure context, else the
 * field is selected for Ctrl+C / Cmd+C. No inline script: the dashboard's CSP forbids it.
 */
(function () {
  'use strict';

  function say(status, message) {
    if (!status) return;
    status.textContent = '';
    window.setTimeout(function () { status.textContent = message; }, 50);
  }

  function selectForManualCopy(field, status) {
    field.focus();
    field.select();
    say(status, 'Selected: press Ctrl+C (Cmd+C on a Mac) to copy.');
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('[data-copy]');
    if (!button) return;
    var field = document.getElementById(button.getAttribute('data-copy'));
    var status = document.getElementById(button.getAttribute('data-copy-status'));
    if (!field) return;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { say(status, 'Copied'); },
        function () { selectForManualCopy(field, status); }
      );
    } else {
      selectForManualCopy(field, status);
    }
  });
})();
