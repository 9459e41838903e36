/* Referrals: an agency's inbox (the server answers only the referrals sent to it, never drafts), overdue
 * ones first in a table of their own (filter `overdue: true`), each with its deadlines; and one referral
 * with the evidence disclosed to the agency and the outcomes reported on it. */
(function () {
  'use strict';

  const portal = window.portal;
  const { $, number, day, label } = portal;
  const PAGE = 'pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';

  const REFERRALS = `query Inbox($filter: ReferralFilter, $first: Int, $after: String, $last: Int, $before: String) {
    referrals(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
      totalCount ${PAGE}
      nodes { id reference status sentAt acknowledgeBy actionBy acknowledgedAt missedDeadline agencyCaseReference agency { id code } }
    }
  }`;
  const REFERRAL = `query Referral($id: ID!) {
    node(id: $id) {
      ... on Referral {
        id reference status summary sentAt acknowledgeBy acknowledgedAt actionBy firstActionAt missedDeadline overdue agencyCaseReference declineReason
        agency { id name code } investigation { id reference }
        disclosedEvidence { id kind description collectedAt collectedBy custodian sha256 }
        outcomes { id kind occurredAt arrests densDestroyed convictions seizedValue { amount currency } fine { amount currency } }
      }
    }
  }`;

  const MISSED = { ACKNOWLEDGEMENT: 'Acknowledgement', ACTION: 'Action' };
  let overdue;
  let current;

  function readFilter() {
    const filter = {};
    if ($('inbox-status').value) filter.status = [$('inbox-status').value];
    const from = portal.dayStart($('inbox-from').value);
    const to = portal.dayEnd($('inbox-to').value);
    if (from || to) filter.sentAt = { ...(from ? { from } : {}), ...(to ? { to } : {}) };
    return filter;
  }

  function table(name, container, caption, emptyText) {
    return portal.pagedTable({
      name,
      container,
      caption,
      emptyText,
      what: 'the referrals',
      pageSize: () => Number($('inbox-page-size').value),
      columns: [
        {
          header: 'Referral',
          cell: (r) => ({ content: portal.openButton(r.reference, () => portal.show('referral', r.id)) }),
        },
        { header: 'Agency', cell: (r) => (r.agency ? r.agency.code : '') },
        { header: 'Status', cell: (r) => label(r.status) },
        { header: 'Sent', cell: (r) => day(r.sentAt) },
        { header: 'Acknowledge by', cell: (r) => day(r.acknowledgeBy) },
        { header: 'Act by', cell: (r) => day(r.actionBy) },
        { header: 'Missed deadline', cell: (r) => (r.missedDeadline ? MISSED[r.missedDeadline] : '') },
        { header: 'Agency case', cell: (r) => r.agencyCaseReference || '' },
      ],
      fetchPage: async (variables) => (await portal.graphql(REFERRALS, variables)).referrals,
    });
  }

  function reload() {
    const filter = readFilter();
    return Promise.all([
      overdue.reload({ filter: { ...filter, overdue: true } }),
      current.reload({ filter: { ...filter, overdue: false } }),
    ]);
  }

  async function openReferral(id) {
    const view = $('referral-view');
    view.dataset.state = 'loading';
    $('referral-title').textContent = 'Loading the referral…';
    $('referral-facts').replaceChildren();
    for (const name of ['referral-evidence', 'referral-outcomes']) portal.fillTable($(name), [], () => []);
    try {
      const r = (await portal.graphql(REFERRAL, { id })).node;
      if (!r) throw Object.assign(new Error('it is not there (unknown, or out of your scope)'), { code: 'NOT_FOUND' });
      portal.referralShown = r;
      $('referral-title').textContent = `Referral ${r.reference}`;
      const facts = $('referral-facts');
      portal.fact(
        facts,
        'Status',
        label(r.status) + (r.overdue ? ` · overdue (${MISSED[r.missedDeadline].toLowerCase()})` : ''),
      );
      if (r.agency) portal.fact(facts, 'Agency', `${r.agency.name} (${r.agency.code})`);
      portal.fact(facts, 'Case', r.investigation ? r.investigation.reference : '');
      portal.fact(facts, 'Summary', r.summary);
      portal.fact(facts, 'Sent', day(r.sentAt));
      portal.fact(
        facts,
        'Acknowledge by',
        `${day(r.acknowledgeBy)}${r.acknowledgedAt ? ` (acknowledged ${day(r.acknowledgedAt)})` : ''}`,
      );
      portal.fact(
        facts,
        'Act by',
        `${day(r.actionBy)}${r.firstActionAt ? ` (first action ${day(r.firstActionAt)})` : ''}`,
      );
      if (r.agencyCaseReference) portal.fact(facts, 'Agency case', r.agencyCaseReference);
      if (r.declineReason) portal.fact(facts, 'Declined', r.declineReason);
      portal.fillTable(
        $('referral-evidence'),
        r.disclosedEvidence,
        (e) => [
          label(e.kind),
          e.description,
          day(e.collectedAt),
          e.collectedBy,
          e.custodian,
          { content: e.sha256, testId: `sha-${e.id}` },
        ],
        'No evidence disclosed.',
      );
      portal.fillTable(
        $('referral-outcomes'),
        r.outcomes,
        (o) => [
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
      view.dataset.state = 'ready';
      $('referral-title').focus();
    } catch (error) {
      view.dataset.state = 'error';
      $('referral-title').textContent = 'Referral';
      portal.failed(error, 'the referral');
    }
  }

  portal.views.inbox = {
    open(options) {
      if (!overdue) {
        $('inbox-title').textContent = portal.viewer.role === 'AGENCY_LIAISON' ? 'Referral inbox' : 'Referrals';
        overdue = table('inbox-overdue', $('inbox-overdue'), 'Overdue referrals', 'Nothing overdue.');
        current = table(
          'inbox-current',
          $('inbox-current'),
          'Referrals within their deadlines, or done',
          'No referral.',
        );
      }
      if (!(options && options.keep) || !portal.tables['inbox-overdue'].asked) reload();
    },
    reset() {
      overdue = current = undefined;
    },
  };
  portal.views.referral = { open: openReferral };

  $('referral-title').tabIndex = -1;
  $('inbox-filters').addEventListener('submit', (event) => {
    event.preventDefault();
    reload();
  });
})();
