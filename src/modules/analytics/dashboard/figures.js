/* Figures: the `analytics` query under the key's scope (a brand partner: its brand's cases; an agency: its
 * referrals; internal roles: everything), charted by Chart.js (served from the installed package, no CDN),
 * each table downloadable as CSV. */
(function () {
  'use strict';

  const portal = window.portal;
  const { $, number } = portal;
  const state = portal.figures;
  const STAGE_LABELS = {
    LEADS: 'Leads',
    TRIAGED: 'Triaged',
    INVESTIGATED: 'Investigated',
    REFERRED: 'Referred',
    ACTIONED: 'Actioned',
    CONVICTED: 'Convicted',
  };
  const STEPS = [
    ['leadToInvestigation', 'Lead → investigation opened'],
    ['investigationToReferral', 'Investigation → referral sent'],
    ['referralToAcknowledgement', 'Referral sent → acknowledged'],
    ['referralToFirstAction', 'Referral sent → first action'],
    ['referralToConviction', 'Referral sent → conviction'],
  ];
  const COLORS = ['#2f6fde', '#e8590c', '#2b8a3e', '#ae3ec9', '#c92a2a', '#0c8599'];
  const DURATION = '{ count medianDays p90Days }';

  const QUERY = `query Figures($filter: AnalyticsFilter, $granularity: Granularity!) {
    analytics(filter: $filter) {
      asOf
      enforcementFunnel { stages { stage count conversionFromPrevious } }
      outcomeTotals { raids seizures densDestroyed arrests seizedValue { amount currency } convictions fines { count amounts { amount currency } } }
      outcomeSeries(granularity: $granularity) { buckets { start raids seizures arrests densDestroyed convictions fines } }
      takedownSeries(granularity: $granularity) { buckets { start listingsTakenDown listingsReinstated sellersRestricted sellersSuspended sellersClosed } }
      regionBreakdown { region funnel { leads investigated referred actioned convicted } outcomes { raids arrests densDestroyed } }
      timeToAction { ${STEPS.map(([field]) => `${field} ${DURATION}`).join(' ')} }
      overdueReferrals { agency { id name code } waiting overdue acknowledgementOverdue actionOverdue longestOverdueDays }
      reporterAccuracy(granularity: $granularity) { brand { id name } period { leadsReported leadsConfirmed leadsRejected accuracy } fastTrack }
      repeatOffenders(first: 10) {
        sellers { seller { id displayName platform region } strikes leads takedowns }
        networks { representative { id displayName } sellerCount strikes leads takedowns }
      }
    }
  }`;

  const day = portal.day;
  const days = (n) => (n === null || n === undefined ? '' : n.toFixed(1));
  const percent = (share) => (share === null || share === undefined ? '' : `${(share * 100).toFixed(1)} %`);

  function readFilter() {
    const filter = {};
    const from = portal.dayStart($('filter-from').value);
    const to = portal.dayEnd($('filter-to').value);
    if (from) filter.from = from;
    if (to) filter.to = to;
    if ($('filter-brand').value) filter.brandIds = [$('filter-brand').value];
    const regions = $('filter-region')
      .value.split(',')
      .map((r) => r.trim().toUpperCase())
      .filter(Boolean);
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

  function render(analytics) {
    $('as-of').textContent = `Figures as of ${portal.when(analytics.asOf)}`;

    const totals = analytics.outcomeTotals;
    $('outcome-tiles').replaceChildren(
      tile('Raids', number(totals.raids), 'total-raids'),
      tile('Seizures', number(totals.seizures), 'total-seizures'),
      tile('Dens destroyed', number(totals.densDestroyed), 'total-dens'),
      tile('Arrests', number(totals.arrests), 'total-arrests'),
      tile('Goods seized', portal.moneyList(totals.seizedValue), 'total-seized'),
      tile('Convictions', number(totals.convictions), 'total-convictions'),
      tile('Fines', `${number(totals.fines.count)} (${portal.moneyList(totals.fines.amounts)})`, 'total-fines'),
    );

    const stages = analytics.enforcementFunnel.stages;
    chart('funnel-chart', {
      type: 'bar',
      data: {
        labels: stages.map((s) => STAGE_LABELS[s.stage]),
        datasets: [{ label: 'Cases', data: stages.map((s) => s.count), backgroundColor: COLORS[0] }],
      },
      options: { indexAxis: 'y', plugins: { legend: { display: false } } },
    });
    portal.fillTable($('funnel-table'), stages, (s) => [
      STAGE_LABELS[s.stage],
      { content: number(s.count), testId: `funnel-${s.stage}` },
      s.conversionFromPrevious === null ? '' : percent(s.conversionFromPrevious),
    ]);

    const time = analytics.timeToAction;
    portal.fillTable($('time-table'), STEPS, ([field, text]) => [
      text,
      { content: number(time[field].count), testId: `time-${field}-count` },
      { content: days(time[field].medianDays), testId: `time-${field}-median` },
      days(time[field].p90Days),
    ]);

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
          {
            label: 'Listings taken down',
            data: takedowns.map((b) => b.listingsTakenDown),
            borderColor: COLORS[0],
            backgroundColor: COLORS[0],
          },
          {
            label: 'Listings reinstated',
            data: takedowns.map((b) => b.listingsReinstated),
            borderColor: COLORS[1],
            backgroundColor: COLORS[1],
          },
          {
            label: 'Sellers restricted',
            data: takedowns.map((b) => b.sellersRestricted),
            borderColor: COLORS[2],
            backgroundColor: COLORS[2],
          },
          {
            label: 'Sellers suspended',
            data: takedowns.map((b) => b.sellersSuspended),
            borderColor: COLORS[3],
            backgroundColor: COLORS[3],
          },
          {
            label: 'Sellers closed',
            data: takedowns.map((b) => b.sellersClosed),
            borderColor: COLORS[4],
            backgroundColor: COLORS[4],
          },
        ],
      },
    });

    const regions = [...analytics.regionBreakdown].sort(
      (a, b) => b.funnel.leads - a.funnel.leads || a.region.localeCompare(b.region),
    );
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
    portal.fillTable(
      $('region-table'),
      regions,
      (r) => [
        r.region,
        { content: number(r.funnel.leads), testId: `region-${r.region}-leads` },
        number(r.funnel.investigated),
        number(r.funnel.referred),
        { content: number(r.funnel.actioned), testId: `region-${r.region}-actioned` },
        number(r.funnel.convicted),
        { content: number(r.outcomes.raids), testId: `region-${r.region}-raids` },
        number(r.outcomes.arrests),
        number(r.outcomes.densDestroyed),
      ],
      'No cases in this period.',
    );
    const known = new Set([...$('region-list').options].map((o) => o.value));
    for (const r of regions) {
      if (known.has(r.region)) continue;
      const option = document.createElement('option');
      option.value = r.region;
      $('region-list').append(option);
    }

    portal.fillTable(
      $('overdue-table'),
      analytics.overdueReferrals,
      (a) => [
        `${a.agency.name} (${a.agency.code})`,
        number(a.waiting),
        number(a.overdue),
        number(a.acknowledgementOverdue),
        number(a.actionOverdue),
        days(a.longestOverdueDays),
      ],
      'No referral is waiting.',
    );
    portal.fillTable(
      $('accuracy-table'),
      analytics.reporterAccuracy,
      (b) => [
        b.brand.name,
        number(b.period.leadsReported),
        number(b.period.leadsConfirmed),
        number(b.period.leadsRejected),
        percent(b.period.accuracy),
        b.fastTrack ? 'yes' : 'no',
      ],
      'No brand reported a case in this period.',
    );
    const offenders = analytics.repeatOffenders;
    portal.fillTable(
      $('offenders-table'),
      offenders.sellers,
      (s) => [
        s.seller.displayName,
        s.seller.platform,
        s.seller.region,
        number(s.strikes),
        number(s.leads),
        number(s.takedowns),
      ],
      'No seller with a lead or takedown in this period.',
    );
    portal.fillTable(
      $('networks-table'),
      offenders.networks,
      (n) => [
        n.representative.displayName,
        number(n.sellerCount),
        number(n.strikes),
        number(n.leads),
        number(n.takedowns),
      ],
      'No network of linked sellers in this period.',
    );
  }

  async function load() {
    const filter = readFilter();
    const granularity = $('filter-granularity').value;
    const view = $('figures-view');
    state.loading = true;
    view.dataset.state = document.body.dataset.state = 'loading';
    portal.setStatus('Loading the figures…');
    try {
      const data = await portal.graphql(QUERY, { filter, granularity });
      state.data = data.analytics;
      state.filter = { filter, granularity };
      render(data.analytics);
      portal.setStatus('');
      view.dataset.state = document.body.dataset.state = 'ready';
    } catch (error) {
      view.dataset.state = document.body.dataset.state = 'error';
      portal.failed(error, 'the figures');
    } finally {
      state.loading = false;
    }
  }

  async function loadBrands() {
    try {
      const data = await portal.graphql('{ brands(first: 100) { nodes { id name } } }', {});
      const select = $('filter-brand');
      select.replaceChildren(select.options[0]);
      for (const brand of data.brands.nodes) {
        const option = document.createElement('option');
        option.value = brand.id;
        option.textContent = brand.name;
        select.append(option);
      }
    } catch (error) {
      portal.failed(error, 'the brands');
    }
  }

  let opened = false;
  portal.views.figures = {
    open() {
      if (opened) return;
      opened = true;
      const to = new Date();
      const from = new Date(Date.UTC(to.getUTCFullYear() - 1, to.getUTCMonth(), 1));
      $('filter-from').value = day(from.toISOString());
      $('filter-to').value = day(to.toISOString());
      loadBrands();
      load();
    },
    reset() {
      opened = false;
      state.data = null;
      state.filter = null;
    },
  };

  $('filters').addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
})();
