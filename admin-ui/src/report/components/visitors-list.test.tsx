import { render, screen, within } from '@testing-library/react';
import { createElement } from '@wordpress/element';

import { fakeBackend, withReport } from '../../testing/fake-backend';
import { VisitorsList } from './visitors-list';

const visitor = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  firstSeen: '2026-03-10T09:00:00.000Z',
  lastSeen: '2026-03-14T10:05:00.000Z',
  visits: 2,
  pageviews: 1,
  events: 0,
  engagedSeconds: 60,
  userId: null,
  traits: {},
  country: 'NL',
  device: 'desktop',
  browser: 'Firefox',
  source: 'Google',
  lifetime: true,
  ...over,
});

const query = { from: '2026-03-01', to: '2026-03-15', filters: [] };

describe('VisitorsList', () => {
  it('shows each visitor as a table row that can stack into a phone’s card: counts in words, labelled facts', async () => {
    const { source } = fakeBackend({
      visitors: {
        body: {
          visitors: [
            visitor('c:one', { userId: 'customer-42' }),
            visitor('c:two', { visits: 1, pageviews: 3, country: '', device: 'mobile', source: '' }),
          ],
          total: 2,
        },
      },
    });
    render(withReport(source, <VisitorsList query={query} onOpen={jest.fn()} />));
    const table = await screen.findByRole('table', { name: 'Visitors, most recently seen first' });
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map((th) => th.textContent),
    ).toEqual(['Visitor', 'Last seen', 'Visits', 'Pageviews', 'Country', 'Device', 'Source']);

    const [, first, second] = within(table).getAllByRole('row');
    const cells = (row: HTMLElement | undefined) => [...row!.querySelectorAll('th, td')];
    // Under the table's columns the counts are bare numbers; stacked on a phone they say what they count.
    const counts = (row: HTMLElement | undefined) =>
      cells(row)
        .slice(2, 4)
        .map((cell) => [
          cell.querySelector('.clickpath-report__in-table')?.textContent,
          cell.querySelector('.clickpath-report__in-stack')?.textContent,
        ]);
    expect(counts(first)).toEqual([
      ['2', '2 visits'],
      ['1', '1 pageview'],
    ]);
    expect(counts(second)).toEqual([
      ['1', '1 visit'],
      ['3', '3 pageviews'],
    ]);

    // Country, device and source carry their column's name, shown over them once the header is hidden.
    const facts = (row: HTMLElement | undefined) =>
      cells(row).map((cell) => [cell.className, cell.getAttribute('data-label'), cell.textContent]);
    expect(facts(first).filter((_, i) => i < 2 || i > 3)).toEqual([
      ['clickpath-report__visitor-who', null, 'customer-42'],
      ['clickpath-report__visitor-when', null, 'Mar 14, 2026, 10:05'],
      ['clickpath-report__visitor-country', 'Country', 'Netherlands'],
      ['clickpath-report__visitor-device', 'Device', 'Desktop'],
      ['clickpath-report__visitor-source', 'Source', 'Google'],
    ]);
    expect(
      facts(second)
        .slice(4)
        .map(([, , text]) => text),
    ).toEqual(['Unknown', 'Mobile', 'Direct']);
  });

  it('when nobody visited in the range, then it says so', async () => {
    const { source } = fakeBackend({ visitors: { body: { visitors: [], total: 0 } } });
    render(withReport(source, <VisitorsList query={query} onOpen={jest.fn()} />));
    expect(await screen.findByText('No visitors in this range.')).toBeInTheDocument();
  });
});
