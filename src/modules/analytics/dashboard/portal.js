/* The portal's core: plain browser JavaScript over POST /graphql (no build step, no framework). Sign-in with
 * an API key (kept in sessionStorage: gone when the tab closes), the viewer it names, the tabs its role
 * opens, paged tables (Relay: first/after forward, last/before backward) and CSV downloads of what a table
 * shows. The views (figures.js, cases.js, inbox.js) register themselves in `portal.views`. The server
 * scopes every answer to the key; the page never filters by tenant itself. */
(function () {
  'use strict';

  const KEY_STORAGE = 'eca:dashboard:apiKey';
  const $ = (id) => document.getElementById(id);
  const INTERNAL = ['ADMIN', 'INVESTIGATOR', 'ANALYST'];
  const ROLE_LABELS = {
    ADMIN: 'Administrator',
    INVESTIGATOR: 'Investigator',
    ANALYST: 'Analyst',
    BRAND_PARTNER: 'Brand partner',
    AGENCY_LIAISON: 'Agency liaison',
  };

  /** What the page shows, for people and for tests: the viewer, each table's question and rows, the current view. */
  const portal = { viewer: null, view: null, views: {}, tables: {}, $ };
  window.portal = portal;
  // The figures' state under its former name (the dashboard's tests and bookmarks of the console).
  window.dashboard = portal.figures = { data: null, filter: null, charts: {}, loading: false };

  class ApiError extends Error {
    constructor(message, code) {
      super(message);
      this.code = code;
    }
  }

  portal.graphql = async function graphql(query, variables) {
    let response;
    try {
      response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${sessionStorage.getItem(KEY_STORAGE)}` },
        body: JSON.stringify({ query, variables }),
      });
    } catch {
      throw new ApiError('the server could not be reached; check the connection and try again', 'NETWORK');
    }
    const body = await response.json().catch(() => ({}));
    if (body.errors && body.errors.length)
      throw new ApiError(body.errors[0].message, body.errors[0].extensions && body.errors[0].extensions.code);
    if (!response.ok) throw new ApiError(`HTTP ${response.status}`, 'HTTP');
    return body.data;
  };

  // Formatting, shared by the views.
  portal.number = (n) => (n === null || n === undefined ? '' : new Intl.NumberFormat('en').format(n));
  portal.money = (m) => (m ? `${portal.number(m.amount / 100)} ${m.currency}` : '');
  portal.moneyList = (list) => (list.length ? list.map(portal.money).join(' + ') : '0');
  portal.day = (iso) => (iso ? iso.slice(0, 10) : '');
  portal.when = (iso) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '');
  portal.label = (code) => (code ? code.charAt(0) + code.slice(1).toLowerCase().replace(/_/g, ' ') : '');
  /** A form's date (a whole UTC day) as the API's bound: `from` inclusive, `to` the next midnight (exclusive). */
  portal.dayStart = (value) => (value ? `${value}T00:00:00.000Z` : undefined);
  portal.dayEnd = (value) =>
    value ? new Date(Date.parse(`${value}T00:00:00.000Z`) + 86400000).toISOString() : undefined;
  portal.isInternal = () => Boolean(portal.viewer && INTERNAL.includes(portal.viewer.role));

  portal.setStatus = function setStatus(text, isError) {
    $('status').textContent = text;
    $('status').classList.toggle('error', Boolean(isError));
  };

  /** A view's error: a refused key signs out with the reason; anything else is said in the status line. */
  portal.failed = function failed(error, what) {
    if (error.code === 'UNAUTHENTICATED') {
      signOut(`This API key was not accepted: ${error.message} Sign in with a valid key.`);
      return;
    }
    portal.setStatus(`Could not load ${what}: ${error.message}`, true);
  };

  /** Fills a table's body: `cells` gives each row's texts (or nodes), `testIds` optional per cell. */
  /** A term and its value, added to a description list (a record's facts). */
  portal.fact = function fact(list, term, value) {
    const dt = document.createElement('dt');
    dt.textContent = term;
    const dd = document.createElement('dd');
    dd.textContent = value;
    list.append(dt, dd);
  };

  portal.fillTable = function fillTable(table, rows, cells, emptyText) {
    const body = table.tBodies[0];
    body.replaceChildren();
    for (const item of rows) {
      const row = body.insertRow();
      for (const value of cells(item)) {
        const td = row.insertCell();
        const content = value !== null && typeof value === 'object' && !(value instanceof Node) ? value.content : value;
        if (content instanceof Node) td.append(content);
        else td.textContent = content === null || content === undefined ? '' : String(content);
        if (value && value.testId) td.dataset.testid = value.testId;
      }
    }
    if (!rows.length && emptyText) {
      const row = body.insertRow();
      row.className = 'empty';
      const td = row.insertCell();
      td.colSpan = table.tHead.rows[0].cells.length;
      td.textContent = emptyText;
    }
  };

  /** A button that opens a record, for keyboard and screen reader alike. */
  portal.openButton = function openButton(text, onOpen) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'link';
    button.textContent = text;
    button.addEventListener('click', onOpen);
    return button;
  };

  // CSV of what a table shows: its header and its rows' texts, RFC 4180 quoting, CRLF, a UTF-8 byte order
  // mark (spreadsheet programs read accents and Chinese right only with it). A cell that a spreadsheet
  // would run as a formula (=, +, @, or - not starting a number) is prefixed with an apostrophe.
  function csvField(text) {
    let value = text.replace(/\s+/g, ' ').trim();
    if (/^[=+@\t\r]/.test(value) || /^-(?![\d.])/.test(value)) value = `'${value}`;
    return /[",\r\n;]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
  }
  portal.tableCsv = function tableCsv(table) {
    const rows = [[...table.tHead.rows[0].cells].map((cell) => cell.textContent)];
    for (const row of table.tBodies[0].rows)
      if (!row.classList.contains('empty')) rows.push([...row.cells].map((cell) => cell.textContent));
    return `\uFEFF${rows.map((cells) => cells.map(csvField).join(',')).join('\r\n')}\r\n`;
  };
  function download(table) {
    const blob = new Blob([portal.tableCsv(table)], { type: 'text/csv;charset=utf-8' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = `${table.dataset.csv}-${new Date().toISOString().slice(0, 10)}.csv`;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  }
  /** A "Download CSV" button under each table that names a file (data-csv). */
  portal.addCsvButton = function addCsvButton(table) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'csv';
    button.textContent = 'Download CSV';
    button.setAttribute(
      'aria-label',
      `Download ${table.querySelector('caption') ? table.querySelector('caption').textContent : 'this table'} as CSV`,
    );
    button.dataset.testid = `csv-${table.dataset.csv}`;
    button.addEventListener('click', () => download(table));
    (table.closest('.table-wrap') || table).after(button);
  };

  /**
   * A table over one connection, a page at a time: `fetchPage(variables)` answers the connection for
   * { first, after } or { last, before } plus the view's own variables; Next and Previous follow pageInfo.
   * Its question and rows stay in portal.tables[name] (tests ask the API the same question).
   */
  portal.pagedTable = function pagedTable({ name, container, caption, columns, fetchPage, pageSize, emptyText, what }) {
    const wrap = document.createElement('div');
    wrap.className = 'table-wrap';
    const table = document.createElement('table');
    table.id = `${name}-table`;
    table.dataset.csv = name;
    table.createCaption().textContent = caption;
    table.caption.className = 'visually-hidden';
    const headRow = table.createTHead().insertRow();
    for (const column of columns) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = column.header;
      headRow.append(th);
    }
    table.createTBody();
    wrap.append(table);
    const pager = document.createElement('nav');
    pager.className = 'pager';
    pager.setAttribute('aria-label', `Pages of ${caption}`);
    pager.innerHTML =
      '<button type="button" data-page="previous">← Previous</button><span aria-live="polite"></span><button type="button" data-page="next">Next →</button>';
    container.replaceChildren(wrap, pager);
    portal.addCsvButton(table);

    const state = { asked: null, nodes: [], pageInfo: null, totalCount: 0, index: 0 };
    portal.tables[name] = state;
    let extra = {};

    async function load(paging, index) {
      const size = pageSize();
      const variables = { ...extra, ...paging(size) };
      container.dataset.state = 'loading';
      try {
        const connection = await fetchPage(variables);
        if (!connection) throw new ApiError('it is not there (unknown, or out of your scope)', 'NOT_FOUND');
        Object.assign(state, {
          asked: variables,
          nodes: connection.nodes,
          pageInfo: connection.pageInfo,
          totalCount: connection.totalCount,
          index,
        });
        portal.fillTable(table, connection.nodes, (node) => columns.map((column) => column.cell(node)), emptyText);
        const first = index * size + 1;
        pager.querySelector('span').textContent = connection.nodes.length
          ? `${portal.number(first)}–${portal.number(first + connection.nodes.length - 1)} of ${portal.number(connection.totalCount)}`
          : `0 of ${portal.number(connection.totalCount)}`;
        pager.querySelector('[data-page=previous]').disabled = !connection.pageInfo.hasPreviousPage;
        pager.querySelector('[data-page=next]').disabled = !connection.pageInfo.hasNextPage;
        container.dataset.state = 'ready';
      } catch (error) {
        container.dataset.state = 'error';
        portal.failed(error, what);
      }
    }
    pager
      .querySelector('[data-page=next]')
      .addEventListener('click', () => load((n) => ({ first: n, after: state.pageInfo.endCursor }), state.index + 1));
    pager
      .querySelector('[data-page=previous]')
      .addEventListener('click', () =>
        load((n) => ({ last: n, before: state.pageInfo.startCursor }), Math.max(0, state.index - 1)),
      );
    return {
      table,
      /** The first page for these variables (a filter, a record's id). */
      reload(variables) {
        extra = variables || {};
        return load((n) => ({ first: n }), 0);
      },
    };
  };

  // Views and tabs: what each role opens. Detail views (a case, a referral) have no tab of their own.
  const TABS = {
    BRAND_PARTNER: [
      ['cases', 'Cases'],
      ['figures', 'Figures'],
    ],
    AGENCY_LIAISON: [
      ['inbox', 'Referral inbox'],
      ['figures', 'Figures'],
    ],
    INTERNAL: [
      ['figures', 'Figures'],
      ['cases', 'Cases'],
      ['inbox', 'Referrals'],
    ],
  };

  portal.show = function show(name, ...args) {
    for (const section of document.querySelectorAll('.view')) section.hidden = section.id !== `${name}-view`;
    for (const tab of $('tabs').querySelectorAll('button')) {
      const current =
        tab.dataset.view === name ||
        (tab.dataset.view === 'cases' && name === 'case') ||
        (tab.dataset.view === 'inbox' && name === 'referral');
      if (current) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    }
    portal.view = name;
    portal.setStatus('');
    const view = portal.views[name];
    if (view) view.open(...args);
  };

  function showSignIn(message) {
    document.body.dataset.state = 'signed-out';
    $('portal').hidden = true;
    $('who').hidden = true;
    $('sign-out').hidden = true;
    $('sign-in').hidden = false;
    $('sign-in-message').textContent = message || '';
    $('sign-in-message').classList.toggle('error', Boolean(message) && message !== 'Signed out.');
    $('api-key').focus();
  }

  function signOut(message) {
    sessionStorage.removeItem(KEY_STORAGE);
    portal.viewer = null;
    for (const chart of Object.values(portal.figures.charts)) chart.destroy();
    portal.figures.charts = {};
    for (const view of Object.values(portal.views)) if (view.reset) view.reset();
    portal.tables = {};
    showSignIn(message);
  }

  /** Asks who the key names; only then is anything shown. */
  async function signIn() {
    document.body.dataset.state = 'signing-in';
    $('sign-in-message').classList.remove('error');
    $('sign-in-message').textContent = 'Checking the key…';
    let viewer;
    try {
      viewer = (await portal.graphql('{ viewer { id name role brand { id name } agency { id name code } } }', {}))
        .viewer;
    } catch (error) {
      if (error.code === 'UNAUTHENTICATED')
        signOut(`This API key was not accepted: ${error.message} Check it, or ask for a new one.`);
      else {
        showSignIn(`Could not sign in: ${error.message}`);
        $('sign-in-message').classList.add('error');
      }
      return;
    }
    portal.viewer = viewer;
    const tenant = viewer.brand
      ? ` · ${viewer.brand.name}`
      : viewer.agency
        ? ` · ${viewer.agency.name} (${viewer.agency.code})`
        : '';
    $('who').textContent = `${viewer.name} · ${ROLE_LABELS[viewer.role] || viewer.role}${tenant}`;
    const tabs = TABS[viewer.role] || TABS.INTERNAL;
    $('tabs').replaceChildren(
      ...tabs.map(([view, text]) => {
        const button = document.createElement('button');
        button.type = 'button';
        button.dataset.view = view;
        button.textContent = text;
        button.addEventListener('click', () => portal.show(view));
        return button;
      }),
    );
    $('sign-in').hidden = true;
    $('sign-in-message').textContent = '';
    $('who').hidden = false;
    $('sign-out').hidden = false;
    $('portal').hidden = false;
    document.body.dataset.state = 'signed-in';
    portal.show(tabs[0][0]);
  }

  document.addEventListener('DOMContentLoaded', () => {
    for (const table of document.querySelectorAll('table[data-csv]')) portal.addCsvButton(table);
    for (const back of document.querySelectorAll('[data-back]'))
      back.addEventListener('click', () => portal.show(back.dataset.back, { keep: true }));
    $('sign-in').addEventListener('submit', (event) => {
      event.preventDefault();
      sessionStorage.setItem(KEY_STORAGE, $('api-key').value.trim());
      $('api-key').value = '';
      signIn();
    });
    $('sign-out').addEventListener('click', () => signOut('Signed out.'));
    if (sessionStorage.getItem(KEY_STORAGE)) signIn();
    else showSignIn();
  });
})();
