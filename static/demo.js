/* The demo ISV page: wires its Install/Update buttons to embedded.js. */
(function () {
  'use strict';
  var token = document.currentScript.getAttribute('data-token');
  var status = document.getElementById('demo-status');
  window.Alloy.setToken(token);

  function done(result) {
    status.textContent = result.success ? 'Installed. Refreshing…' : 'Install window closed.';
    if (result.success) window.setTimeout(function () { window.location.reload(); }, 600);
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
