/* The demo ISV page: wires its Install/Update buttons to embedded.js. */
(function () {
  'use strict';
  var token = document.currentScript.getAttribute('data-token');
  var status = document.getElementById('demo-status');
  window.Alloy.setToken(token);

  function done(result) {
    status.textContent = result.success ? 'Installed. The page refreshes when you close the install window.' : 'Install window closed.';
    if (result.success) reloadWhenClosed();
  }

  // The callback runs as soon as the install finishes, while the modal still shows its
  // success step: reload only once the user has closed it (Done), not under them.
  function reloadWhenClosed() {
    if (document.querySelector('[role="dialog"][aria-modal="true"]')) window.setTimeout(reloadWhenClosed, 200);
    else window.location.reload();
  }

  document.addEventListener('click', function (event) {
    var install = event.target.closest('[data-install]');
    var update = event.target.closest('[data-update]');
    if (install) {
      window.Alloy.install({
        integrationId: install.getAttribute('data-install'),
        alwaysShowAuthentication: install.hasAttribute('data-reinstall'),
        callback: done
      });
    } else if (update) {
      window.Alloy.update({ workflowIds: JSON.parse(update.getAttribute('data-update')), callback: done });
    }
  });
})();
