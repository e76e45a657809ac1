/**
 * install-service frontend SDK: defines `window.Alloy` (Alloy Embedded compatible).
 *   <script src="https://install.example.com/static/embedded.js"></script>
 *   Alloy.setToken(jwt); Alloy.install({integrationId: 'abc', callback: (r) => console.log(r)});
 * The base URL is this script's own src minus `/static/embedded[.<hash>].js`. The JWT never goes into a
 * URL: the modal iframe sends `{type: 'alloy:ready'}` and gets `{type: 'alloy:token', token}`
 * posted to the service origin only; messages are accepted only from that origin and iframe.
 * Styles go through the CSSOM, so a strict host-page CSP needs no 'unsafe-inline'.
 * The overlay has its own Close button (after the iframe in the tab order) besides Esc.
 */
(function () {
  'use strict';

  const API_PREFIX = '/2024-03';
  const DEFAULT_TITLE = 'Install integration';
  const CLOSE_BAR = '52px'; // room above the iframe for the overlay's Close button
  // `/static/embedded.js` or the versioned `/static/embedded.<contenthash>.js`.
  const SCRIPT_PATH = /\/static\/embedded(\.\w+)?\.js$/;

  /** The base URL (origin + path prefix) of the service, read once at load time. */
  function findBaseUrl() {
    let src = document.currentScript && document.currentScript.src;
    if (!src) {
      const scripts = document.getElementsByTagName('script');
      for (let i = scripts.length - 1; i >= 0 && !src; i--) {
        if (scripts[i].src && SCRIPT_PATH.test(new URL(scripts[i].src).pathname)) src = scripts[i].src;
      }
    }
    if (!src) return window.location.origin;
    const url = new URL(src);
    return url.origin + url.pathname.replace(SCRIPT_PATH, '');
  }

  const BASE_URL = findBaseUrl();
  const SERVICE_ORIGIN = new URL(BASE_URL).origin;

  /** @returns {string[]} `value` as a list of non-empty strings (accepts one string). */
  function toList(value) {
    return [].concat(value == null ? [] : value).filter((v) => v != null && v !== '').map(String);
  }

  /**
   * Set inline styles from a `name:value;...` declaration list, property by property through
   * the CSSOM (`style.setProperty`), which a strict host-page CSP allows (a style attribute or
   * `style.cssText` it would block). Values must not contain `;`.
   */
  function css(el, declarations) {
    declarations.split(';').forEach((declaration) => {
      const at = declaration.indexOf(':');
      el.style.setProperty(declaration.slice(0, at), declaration.slice(at + 1));
    });
    return el;
  }

  /** A new element of `tag` with `styles` (see css()). */
  const element = (tag, styles) => css(document.createElement(tag), styles);

  /** A new, independent SDK instance (own token, own modal). */
  function createInstance() {
    let token = null;
    /** The open modal's `close` function (a new one per opening), or null. */
    let modal = null;

    function requireToken() {
      if (!token) throw new Error('Alloy: no user token; call Alloy.setToken(jwt) first');
      return token;
    }

    /**
     * Store the user's JWT (from the ISV backend's `GET /users/{userId}/token`).
     * @param {string} jwt the end-user token, sent as `x-alloy-user-token` and to the modal.
     * @throws {TypeError} if `jwt` is not a non-empty string.
     */
    function setToken(jwt) {
      if (typeof jwt !== 'string' || !jwt) throw new TypeError('Alloy.setToken: jwt must be a non-empty string');
      token = jwt;
    }

    /** Build the `/forge-install` URL; the token is deliberately not part of it. */
    function modalUrl(opts, operation) {
      const url = new URL(BASE_URL + '/forge-install');
      const q = url.searchParams;
      if (opts.integrationId) q.set('integrationId', opts.integrationId); // set() converts to string
      else toList(opts.workflowIds).forEach((id) => q.append('id', id));
      toList(opts.versionIds).forEach((v) => q.append('versionId', v));
      q.set('forgeMode', 'engaged');
      q.set('parentOrigin', window.location.origin);
      if (opts.hide) q.set('hide', 'true');
      if (opts.alwaysShowAuthentication) q.set('alwaysShowAuthentication', 'true');
      if (operation) q.set('operation', operation);
      if (opts.title) q.set('title', opts.title);
      return url.href;
    }

    /**
     * The overlay's own Close button, above the iframe's top right corner. Its focus
     * ring is set from focus events (no stylesheet: a strict host-page CSP allows only CSSOM).
     */
    function closeControl() {
      const button = element('button', 'position:absolute;top:4px;right:0;width:40px;height:40px;margin:0;' +
        'padding:0;border:1px solid rgba(255,255,255,.7);border-radius:50%;background:#0f172a;color:#fff;' +
        'font:600 26px/1 system-ui,sans-serif;cursor:pointer;outline:none;box-shadow:none');
      button.type = 'button';
      button.setAttribute('aria-label', 'Close');
      button.title = 'Close';
      button.textContent = '\u00d7';
      button.addEventListener('focus', () => css(button, 'outline:3px solid #fff;outline-offset:2px;box-shadow:0 0 0 6px #4f46e5'));
      button.addEventListener('blur', () => css(button, 'outline:none;outline-offset:0;box-shadow:none'));
      return button;
    }

    /** Validate `opts`, close any open modal, then build and show (unless `hide`) a new one. */
    function open(opts, operation, requireWorkflows) {
      opts = opts || {};
      requireToken();
      const workflowIds = toList(opts.workflowIds);
      if (requireWorkflows ? !workflowIds.length : !opts.integrationId && !workflowIds.length) {
        const what = requireWorkflows ? 'workflowIds' : 'integrationId or workflowIds';
        throw new Error('Alloy.' + (operation || 'install') + ': ' + what + ' is required');
      }
      const callback = opts.callback;
      if (callback != null && typeof callback !== 'function') {
        throw new TypeError('Alloy: callback must be a function');
      }
      close();

      const label = opts.title ? String(opts.title) : DEFAULT_TITLE;
      const overlay = element('div', 'position:fixed;inset:0;z-index:2147483647;' +
        'display:flex;align-items:center;justify-content:center;margin:0;background:rgba(15,23,42,.6);' +
        'visibility:hidden;outline:none;padding:16px;box-sizing:border-box');
      overlay.setAttribute('role', 'dialog');
      overlay.setAttribute('aria-modal', 'true');
      overlay.setAttribute('aria-label', label);
      overlay.tabIndex = -1;
      // The iframe, with the Close button above its corner.
      const box = element('div', 'position:relative;display:flex;flex-direction:column;box-sizing:border-box;' +
        'width:560px;max-width:100%;height:calc(720px + ' + CLOSE_BAR + ');max-height:100%;padding-top:' + CLOSE_BAR);
      const iframe = element('iframe', 'width:100%;height:100%;min-height:0;flex:1 1 auto;border:0;' +
        'border-radius:12px;background:#fff;display:block;box-shadow:0 20px 60px rgba(0,0,0,.35)');
      iframe.title = label;
      iframe.src = modalUrl(opts, operation);
      const closeButton = closeControl();
      box.append(iframe, closeButton); // after the iframe: Tab leaves the modal's last control for it
      overlay.appendChild(box);

      const opener = document.activeElement;
      const roots = [document.documentElement, document.body];
      let called = false; // the callback runs once per opening, even if it throws
      let visible = false;
      let loaded = false;
      let saved = null; // the page's overflow styles, while scrolling is locked

      function finish(result) {
        if (called || !callback) return;
        called = true;
        try { callback(result); } catch (err) { console.error('Alloy: the callback threw', err); }
      }

      /** Make the modal visible, lock page scroll and move focus into it. */
      function show() {
        if (visible) return;
        visible = true;
        overlay.style.visibility = 'visible';
        saved = roots.map((el) => el.style.overflow);
        roots.forEach((el) => { el.style.overflow = 'hidden'; });
        (loaded ? iframe : overlay).focus();
      }

      function onMessage(event) {
        if (event.origin !== SERVICE_ORIGIN || event.source !== iframe.contentWindow) return;
        const data = event.data || {};
        if (data.type === 'alloy:ready') {
          if (token) iframe.contentWindow.postMessage({ type: 'alloy:token', token }, SERVICE_ORIGIN);
        } else if (data.showModal === true) {
          show();
        } else if (data.workflowCreated === true) {
          finish({ success: true, workflowIds: toList(data.workflowIds) });
        } else if (data.closeModal === true) {
          close();
        }
      }
      function onKeydown(event) {
        if (visible && (event.key === 'Escape' || event.key === 'Esc')) {
          event.preventDefault();
          close();
        }
      }
      function onFocusin(event) {
        // Keep keyboard focus inside the dialog while it is visible.
        if (visible && !overlay.contains(event.target)) iframe.focus();
      }
      // Removed by closeThis(): none of them runs for a closed modal (nor do the button's and
      // the iframe's, which leave the page with the overlay).
      const listeners = [[window, 'message', onMessage], [document, 'keydown', onKeydown, true],
        [document, 'focusin', onFocusin, true]];

      /** This opening's close: undo everything open() did, then `{success: false}` if unfinished. */
      function closeThis() {
        modal = null;
        listeners.forEach(([target, type, listener, capture]) => target.removeEventListener(type, listener, capture));
        overlay.remove();
        if (saved) roots.forEach((el, i) => { el.style.overflow = saved[i]; });
        if (opener && opener !== document.body && typeof opener.focus === 'function' && document.contains(opener)) {
          opener.focus();
        }
        finish({ success: false });
      }

      closeButton.addEventListener('click', close);
      iframe.addEventListener('load', () => {
        loaded = true;
        if (visible) iframe.focus();
      });

      modal = closeThis;
      listeners.forEach(([target, type, listener, capture]) => target.addEventListener(type, listener, capture));
      document.body.appendChild(overlay);
      if (!opts.hide) show();
    }

    /**
     * Open the install modal over the page.
     * @param {object} opts
     * @param {string} [opts.integrationId] the integration to install; takes precedence over workflowIds.
     * @param {string|string[]} [opts.workflowIds] workflows to install (one `id=` each) when no integrationId.
     * @param {string|string[]} [opts.versionIds] pin these workflow versions (default: the newest released).
     * @param {function({success: boolean, workflowIds?: string[]})} [opts.callback] called exactly once
     *   per opening: `{success: true, workflowIds}` when installation finishes, or `{success: false}`
     *   when the modal closes first. Default: none.
     * @param {boolean} [opts.alwaysShowAuthentication=false] show the credential step even if one exists.
     * @param {boolean} [opts.hide=false] load invisibly; show only if the modal asks for input.
     * @param {string} [opts.title] modal title and accessible name (default "Install integration").
     * @throws {Error} if no token was set, or neither integrationId nor workflowIds is given.
     * An already open modal of this instance is closed first (its callback gets `{success: false}`
     * if it had not been called).
     */
    const install = (opts) => open(opts, null, false);

    /**
     * Open the modal to upgrade installed workflows (`operation=update`).
     * @param {object} opts
     * @param {string|string[]} opts.workflowIds the installed workflows to update (required).
     * @param {string|string[]} [opts.versionIds] target versions (default: the newest released).
     * @param {function({success: boolean, workflowIds?: string[]})} [opts.callback] as for install().
     * @param {string} [opts.title] as for install() (default "Install integration").
     * @throws {Error} if no token was set or workflowIds is missing or empty.
     */
    const update = (opts) => open(opts, 'update', true);

    /**
     * Open the modal to change the configuration of an installation (`operation=edit`).
     * @param {object} opts
     * @param {string} [opts.integrationId] the installed integration to edit.
     * @param {string|string[]} [opts.workflowIds] the installed workflows to edit, when no integrationId.
     * @param {function({success: boolean, workflowIds?: string[]})} [opts.callback] as for install().
     * @param {string} [opts.title] as for install() (default "Install integration").
     * @throws {Error} if no token was set, or neither integrationId nor workflowIds is given.
     */
    const edit = (opts) => open(opts, 'edit', false);

    /**
     * Close the modal, if open, and return focus to the element that opened it. Safe to call
     * twice. If the installation had not finished, the callback gets `{success: false}`.
     */
    function close() {
      if (modal) modal();
    }

    /**
     * Call the end-user API (async: a missing token rejects, never throws). Resolves with the
     * parsed JSON body; rejects with an Error carrying
     * `status` (HTTP status) and `code` (the server's snake_case code) on a non-2xx answer.
     */
    async function request(method, path, body) {
      const headers = { 'x-alloy-user-token': requireToken(), Accept: 'application/json' };
      const init = { method, headers, credentials: 'omit' };
      if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
      }
      const res = await fetch(BASE_URL + API_PREFIX + path, init);
      const text = await res.text();
      if (res.ok) return text ? JSON.parse(text) : null;
      let data = null;
      try { data = JSON.parse(text); } catch (_) { /* not JSON: keep the generic message */ }
      const err = new Error((data && data.message) || 'Alloy: request failed with HTTP ' + res.status);
      err.status = res.status;
      err.code = (data && data.code) || null;
      throw err;
    }

    /** PUT `{workflowId}` to `path`; rejects (never throws) if workflowId is missing. */
    async function putWorkflow(opts, path, name) {
      if (!opts || !opts.workflowId) throw new Error('Alloy.' + name + ': workflowId is required');
      return request('PUT', path, { workflowId: String(opts.workflowId) });
    }

    /**
     * The user's integrations (`GET /2024-03/integrations`).
     * @returns {Promise<{data: object[]}>} rejects if no token was set or on a non-2xx answer.
     */
    const getIntegrations = () => request('GET', '/integrations');

    /**
     * The user's installed workflows (`GET /2024-03/workflows`).
     * @returns {Promise<{data: object[]}>} rejects if no token was set or on a non-2xx answer.
     */
    const getWorkflows = () => request('GET', '/workflows');

    /**
     * Pause an installed workflow (`PUT /2024-03/workflows/deactivate`).
     * @param {{workflowId: string}} opts the workflow to deactivate (required).
     * @returns {Promise<{success: boolean}>} rejects if workflowId or the token is missing, or on non-2xx.
     */
    const deactivate = (opts) => putWorkflow(opts, '/workflows/deactivate', 'deactivate');

    /**
     * Resume a deactivated workflow (`PUT /2024-03/workflows/activate`).
     * @param {{workflowId: string}} opts the workflow to reactivate (required).
     * @returns {Promise<{success: boolean}>} rejects if workflowId or the token is missing, or on non-2xx.
     */
    const reactivate = (opts) => putWorkflow(opts, '/workflows/activate', 'reactivate');

    return { setToken, install, update, edit, close, getIntegrations, getWorkflows, deactivate, reactivate };
  }

  /**
   * `Alloy()` returns a new independent instance; `Alloy.install(...)` etc. use a default one.
   * @returns {ReturnType<typeof createInstance>}
   */
  function Alloy() { return createInstance(); }
  Object.assign(Alloy, createInstance());
  window.Alloy = Alloy;
})();
