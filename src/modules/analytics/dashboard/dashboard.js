/* The analytics dashboard: plain browser JavaScript over POST /graphql, charts by Chart.js (served from
 * the installed package, no CDN). The API key stays in sessionStorage: it is gone when the tab closes. */
(function () {
  'use strict';

  const KEY_STORAGE = 'eca:dashboard:apiKey';
  const STAGE_LABELS = { LEADS: 'Leads', TRIAGED: 'Triaged', INVESTIGATED: 'Investigated', REFERRED: 'Referred', ACTIONED: 'Actioned', CONVICTED: 'Convicted' };
  const COLORS = ['#2f6fde', '#e8590c', '#2b8a3e', '#ae3ec9', '#c92a2a', '#0c8599'];
  const $ = (id) => document.getElementById(id);

  const QUERY = `query Dashboard($filter: AnalyticsFilter, $granularity: Granularity!) {
    analytics(filter: $filter) {
      asOf
      enforcementFunnel { stages { stage count conversionFromPrevious } }
      outcomeTotals { raids seizures densDestroyed arrests seizedValue { amount currency } convictions fines { count amounts { amount currency } } }
      outcomeSeries(granularity: $granularity) { buckets { start raids seizures arrests densDestroyed convictions fines } }
      takedownSeries(granularity: $granularity) { buckets { start listingsTakenDown listingsReinstated sellersRestricted sellersSuspended sellersClosed } }
      regionBreakdown { region funnel { leads investigated referred actioned convicted } outcomes { raids arrests densDestroyed } }
    }
  }`;

  /** What the page shows, for people and for tests: the last answer, the filter it was asked with, the charts. */
  const state = { data: null, filter: null, charts: {}, loading: false };
  window.dashboard = state;

  class ApiError extends Error {
    constructor(message, code) {
      super(message);
      this.code = code;
    }
  }

  async function graphql(query, variables) {
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sessionStorage.getItem(KEY_STORAGE)}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json().catch(() => ({}));
    if (body.errors && body.errors.length) throw new ApiError(body.errors[0].message, body.errors[0].extensions && body.errors[0].extensions.code);
    if (!response.ok) throw new ApiError(`HTTP ${response.status}`, 'HTTP');
    return body.data;
  }

  function setStatus(text, isError) {
    $('status').textContent = text;
    $('status').classList.toggle('error', Boolean(isError));
  }

  function showSignIn(message) {
    $('sign-in').hidden = false;
    $('dashboard').hidden = true;
    $('sign-out').hidden = true;
    if (message) $('sign-in').querySelector('p').textContent = message;
  }

  function showDashboard() {
    $('sign-in').hidden = true;
    $('dashboard').hidden = false;
    $('sign-out').hidden = false;
  }

  const number = (n) => new Intl.NumberFormat('en').format(n);
  const money = (list) => (list.length ? list.map((m) => `${number(m.amount / 100)} ${m.currency}`).join(' + ') : '0');
  const day = (iso) => iso.slice(0, 10);

  /** The filter the form describes: dates are whole UTC days, `to` inclusive in the form, exclusive in the API. */
  function readFilter() {
    const filter = {};
    const from = $('filter-from').value;
    const to = $('filter-to').value;
    if (from) filter.from = `${from}T00:00:00.000Z`;
    if (to) filter.to = new Date(Date.parse(`${to}T00:00:00.000Z`) + 86400000).toISOString();
    if ($('filter-brand').value) filter.brandIds = [$('filter-brand').value];
    const regions = $('filter-region').value.split(',').map((r) => r.trim().toUpperCase()).filter(Boolean);
    if (regions.length) filter.regions = regions;
    return filter;
  }

  function chart(id, config) {
    if (state.charts[id]) state.charts[id].destroy();
    state.charts[id] = new Chart($(id), {
      ...config,
      options: { responsive: true, maintainAspectRatio: false, animation: false, ...(config.options || {}) },
    });
    return state.charts[id];
  }

  function tile(label, value, testId) {
    const element = document.createElement('div');
    element.className = 'tile';
    element.innerHTML = '<div class="value"></div><div class="label"></div>';
    element.querySelector('.value').textContent = value;
    element.querySelector('.value').dataset.testid = testId;
    element.querySelector('.label').textContent = label;
    return element;
  }

  function cell(row, text, testId) {
    const td = row.insertCell();
    td.textContent = text;
    if (testId) td.dataset.testid = testId;
  }

  function render(analytics) {
    $('as-of').textContent = `Figures as of ${new Date(analytics.asOf).toLocaleString()}`;

    const totals = analytics.outcomeTotals;
    $('outcome-tiles').replaceChildren(
      tile('Raids', number(totals.raids), 'total-raids'),
      tile('Seizures', number(totals.seizures), 'total-seizures'),
      tile('Dens destroyed', number(totals.densDestroyed), 'total-dens'),
      tile('Arrests', number(totals.arrests), 'total-arrests'),
      tile('Goods seized', money(totals.seizedValue), 'total-seized'),
      tile('Convictions', number(totals.convictions), 'total-convictions'),
      tile('Fines', `${number(totals.fines.count)} (${money(totals.fines.amounts)})`, 'total-fines'),
    );

    const stages = analytics.enforcementFunnel.stages;
    chart('funnel-chart', {
      type: 'bar',
      data: { labels: stages.map((s) => STAGE_LABELS[s.stage]), datasets: [{ label: 'Cases', data: stages.map((s) => s.count), backgroundColor: COLORS[0] }] },
      options: { indexAxis: 'y', plugins: { legend: { display: false } } },
    });
    const funnelBody = $('funnel-table').tBodies[0];
    funnelBody.replaceChildren();
    for (const s of stages) {
      const row = funnelBody.insertRow();
      cell(row, STAGE_LABELS[s.stage]);
      cell(row, number(s.count), `funnel-${s.stage}`);
      cell(row, s.conversionFromPrevious === null ? '' : `${(s.conversionFromPrevious * 100).toFixed(1)} %`);
    }

    const outcomes = analytics.outcomeSeries.buckets;
    chart('outcome-chart', {
      type: 'bar',
      data: {
        labels: outcomes.map((b) => day(b.start)),
        datasets: [
          { label: 'Raids', data: outcomes.map((b) => b.raids), backgroundColor: COLORS[0] },
          { label: 'Seizures', data: outcomes.map((b) => b.seizures), backgroundColor: COLORS[1] },
          { label: 'Arrests', data: outcomes.map((b) => b.arrests), backgroundColor: COLORS[2] },
          { label: 'Convictions', data: outcomes.map((b) => b.convictions), backgroundColor: COLORS[3] },
        ],
      },
    });

    const takedowns = analytics.takedownSeries.buckets;
    chart('takedown-chart', {
      type: 'line',
      data: {
        labels: takedowns.map((b) => day(b.start)),
        datasets: [
          { label: 'Listings taken down', data: takedowns.map((b) => b.listingsTakenDown), borderColor: COLORS[0], backgroundColor: COLORS[0] },
          { label: 'Listings reinstated', data: takedowns.map((b) => b.listingsReinstated), borderColor: COLORS[1], backgroundColor: COLORS[1] },
          { label: 'Sellers restricted', data: takedowns.map((b) => b.sellersRestricted), borderColor: COLORS[2], backgroundColor: COLORS[2] },
          { label: 'Sellers suspended', data: takedowns.map((b) => b.sellersSuspended), borderColor: COLORS[3], backgroundColor: COLORS[3] },
          { label: 'Sellers closed', data: takedowns.map((b) => b.sellersClosed), borderColor: COLORS[4], backgroundColor: COLORS[4] },
        ],
      },
    });

    const regions = [...analytics.regionBreakdown].sort((a, b) => b.funnel.leads - a.funnel.leads || a.region.localeCompare(b.region));
    chart('region-chart', {
      type: 'bar',
      data: {
        labels: regions.map((r) => r.region),
        datasets: [
          { label: 'Leads', data: regions.map((r) => r.funnel.leads), backgroundColor: COLORS[0] },
          { label: 'Actioned', data: regions.map((r) => r.funnel.actioned), backgroundColor: COLORS[1] },
          { label: 'Raids', data: regions.map((r) => r.outcomes.raids), backgroundColor: COLORS[2] },
        ],
      },
    });
    const regionBody = $('region-table').tBodies[0];
    regionBody.replaceChildren();
    for (const r of regions) {
      const row = regionBody.insertRow();
      cell(row, r.region);
      cell(row, number(r.funnel.leads), `region-${r.region}-leads`);
      cell(row, number(r.funnel.investigated));
      cell(row, number(r.funnel.referred));
      cell(row, number(r.funnel.actioned), `region-${r.region}-actioned`);
      cell(row, number(r.funnel.convicted));
      cell(row, number(r.outcomes.raids), `region-${r.region}-raids`);
      cell(row, number(r.outcomes.arrests));
      cell(row, number(r.outcomes.densDestroyed));
    }
    const known = new Set([...$('region-list').options].map((o) => o.value));
    for (const r of regions) {
      if (known.has(r.region)) continue;
      const option = document.createElement('option');
      option.value = r.region;
      $('region-list').append(option);
    }
  }

  function failed(error) {
    if (error.code === 'UNAUTHENTICATED') {
      sessionStorage.removeItem(KEY_STORAGE);
      showSignIn('That API key was not accepted: sign in again.');
      return;
    }
    setStatus(`Could not load the figures: ${error.message}`, true);
  }

  async function load() {
    const filter = readFilter();
    const granularity = $('filter-granularity').value;
    state.loading = true;
    document.body.dataset.state = 'loading';
    setStatus('Loading…');
    try {
      const data = await graphql(QUERY, { filter, granularity });
      state.data = data.analytics;
      state.filter = { filter, granularity };
      render(data.analytics);
      setStatus('');
      document.body.dataset.state = 'ready';
    } catch (error) {
      document.body.dataset.state = 'error';
      failed(error);
    } finally {
      state.loading = false;
    }
  }

  async function loadBrands() {
    try {
      const data = await graphql('{ brands(first: 100) { nodes { id name } } }', {});
      const select = $('filter-brand');
      select.replaceChildren(select.options[0]);
      for (const brand of data.brands.nodes) {
        const option = document.createElement('option');
        option.value = brand.id;
        option.textContent = brand.name;
        select.append(option);
      }
    } catch (error) {
      failed(error);
    }
  }

  function start() {
    const to = new Date();
    const from = new Date(Date.UTC(to.getUTCFullYear() - 1, to.getUTCMonth(), 1));
    $('filter-from').value = day(from.toISOString());
    $('filter-to').value = day(to.toISOString());
    showDashboard();
    loadBrands();
    load();
  }

  $('sign-in').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_STORAGE, $('api-key').value.trim());
    $('api-key').value = '';
    start();
  });
  $('sign-out').addEventListener('click', () => {
    sessionStorage.removeItem(KEY_STORAGE);
    showSignIn('Signed out.');
  });
  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });

  if (sessionStorage.getItem(KEY_STORAGE)) start();
  else showSignIn();
})();
