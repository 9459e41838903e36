/* Cases: the leads the key may see (a brand partner: those naming its brand), newest first, filtered by
 * status and date reported, a page at a time; and one case in full: its sellers, its investigation's
 * referrals with the agencies' outcomes, and its timeline (Investigation.history, in commit order). */
(function () {
  'use strict';

  const portal = window.portal;
  const { $, number, day, label } = portal;
  const PAGE = 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';

  const CASES = `query Cases($filter: LeadFilter, $first: Int, $after: String, $last: Int, $before: String) {
    leads(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
      totalCount ${PAGE}
      nodes { id reference status createdAt description investigation { id reference status } }
    }
  }`;
  // Nested lists are priced at their largest length: the case's outcomes come in a second query (by referral).
  const CASE = `query Case($id: ID!) {
    node(id: $id) {
      ... on Lead {
        id reference status createdAt description closeReason
        sellers { id displayName platform region }
        investigation { id reference status summary createdAt
          referrals { id reference status sentAt acknowledgedAt firstActionAt agency { id name code } } }
      }
    }
  }`;
  const OUTCOMES = `query CaseOutcomes($ids: [ID!]!) {
    nodes(ids: $ids) { ... on Referral { id reference outcomes { id kind occurredAt arrests densDestroyed convictions seizedValue { amount currency } fine { amount currency } } } }
  }`;
  const HISTORY = `query CaseHistory($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
    node(id: $id) { ... on Investigation { history(first: $first, after: $after, last: $last, before: $before) { totalCount ${PAGE} nodes { at entityType action } } } }
  }`;

  let cases;
  let history;

  function readFilter() {
    const filter = {};
    if ($('case-status').value) filter.status = [$('case-status').value];
    const from = portal.dayStart($('case-from').value);
    const to = portal.dayEnd($('case-to').value);
    if (from || to) filter.createdAt = { ...(from ? { from } : {}), ...(to ? { to } : {}) };
    return filter;
  }

  function build() {
    cases = portal.pagedTable({
      name: 'cases',
      container: $('cases-list'),
      caption: 'Cases',
      what: 'the cases',
      emptyText: 'No case matches these filters.',
      pageSize: () => Number($('case-page-size').value),
      columns: [
        {
          header: 'Case',
          cell: (lead) => ({ content: portal.openButton(lead.reference, () => portal.show('case', lead.id)) }),
        },
        { header: 'Reported', cell: (lead) => day(lead.createdAt) },
        { header: 'Status', cell: (lead) => label(lead.status) },
        { header: 'Description', cell: (lead) => lead.description },
        { header: 'Investigation', cell: (lead) => (lead.investigation ? lead.investigation.reference : '') },
        {
          header: 'Investigation status',
          cell: (lead) => (lead.investigation ? label(lead.investigation.status) : ''),
        },
      ],
      fetchPage: async (variables) => (await portal.graphql(CASES, variables)).leads,
    });
    history = portal.pagedTable({
      name: 'case-history',
      container: $('case-history'),
      caption: 'Timeline of the case',
      what: 'the timeline',
      emptyText: 'Nothing recorded yet.',
      pageSize: () => 20,
      columns: [
        { header: 'When', cell: (event) => portal.when(event.at) },
        { header: 'Record', cell: (event) => event.entityType },
        { header: 'What happened', cell: (event) => event.action },
      ],
      fetchPage: async (variables) => {
        const node = (await portal.graphql(HISTORY, variables)).node;
        return node && node.history;
      },
    });
  }

  /** One case: its facts and referrals, then the outcomes by referral, then the first page of its timeline. */
  async function openCase(id) {
    const view = $('case-view');
    view.dataset.state = 'loading';
    $('case-title').textContent = 'Loading the case…';
    $('case-facts').replaceChildren();
    for (const table of ['case-referrals', 'case-outcomes']) portal.fillTable($(table), [], () => []);
    try {
      const lead = (await portal.graphql(CASE, { id })).node;
      if (!lead)
        throw Object.assign(new Error('it is not there (unknown, or out of your scope)'), { code: 'NOT_FOUND' });
      portal.caseShown = lead;
      $('case-title').textContent = `Case ${lead.reference}`;
      const facts = $('case-facts');
      portal.fact(facts, 'Status', label(lead.status) + (lead.closeReason ? ` (${label(lead.closeReason)})` : ''));
      portal.fact(facts, 'Reported', day(lead.createdAt));
      portal.fact(facts, 'Description', lead.description);
      portal.fact(
        facts,
        'Sellers',
        lead.sellers.map((s) => `${s.displayName} (${s.platform}, ${s.region})`).join('; ') || 'none you may see',
      );
      const investigation = lead.investigation;
      portal.fact(
        facts,
        'Investigation',
        investigation
          ? `${investigation.reference}, ${label(investigation.status)}, opened ${day(investigation.createdAt)}: ${investigation.summary}`
          : 'not opened yet',
      );
      const referrals = investigation ? investigation.referrals : [];
      const outcomes = referrals.length
        ? (await portal.graphql(OUTCOMES, { ids: referrals.map((r) => r.id) })).nodes.filter(Boolean)
        : [];
      const outcomesOf = new Map(outcomes.map((r) => [r.id, r.outcomes]));
      portal.fillTable(
        $('case-referrals'),
        referrals,
        (r) => [
          r.reference,
          `${r.agency ? `${r.agency.name} (${r.agency.code})` : ''}`,
          label(r.status),
          day(r.sentAt),
          day(r.acknowledgedAt),
          day(r.firstActionAt),
          number((outcomesOf.get(r.id) || []).length),
        ],
        'No referral yet.',
      );
      const rows = outcomes.flatMap((r) => r.outcomes.map((o) => ({ referral: r.reference, ...o })));
      portal.fillTable(
        $('case-outcomes'),
        rows,
        (o) => [
          o.referral,
          label(o.kind),
          day(o.occurredAt),
          number(o.arrests),
          number(o.densDestroyed),
          number(o.convictions),
          portal.money(o.seizedValue),
          portal.money(o.fine),
        ],
        'No outcome reported yet.',
      );
      if (investigation) await history.reload({ id: investigation.id });
      else portal.fillTable(history.table, [], () => [], 'No investigation yet.');
      view.dataset.state = 'ready';
      $('case-title').focus();
    } catch (error) {
      view.dataset.state = 'error';
      $('case-title').textContent = 'Case';
      portal.failed(error, 'the case');
    }
  }

  portal.views.cases = {
    open(options) {
      if (!cases) build();
      if (!(options && options.keep) || !portal.tables.cases.asked) cases.reload({ filter: readFilter() });
    },
    reset() {
      cases = history = undefined;
    },
  };
  portal.views.case = { open: openCase };

  $('case-title').tabIndex = -1;
  $('case-filters').addEventListener('submit', (event) => {
    event.preventDefault();
    cases.reload({ filter: readFilter() });
  });
})();
