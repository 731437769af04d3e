import { AppError } from '../lib/errors';
import { daysOf, resolveRange } from './range';

/** The error a call throws, or undefined. */
function errorOf(run: () => unknown): AppError | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
}

// 11:30 UTC: already the 7th at UTC+14, still the 6th at UTC-11.
const NOW = new Date('2026-12-06T11:30:00Z');

describe('resolveRange', () => {
  it('when the range ends tomorrow in the site’s zone, then it is accepted, in zones 25 hours apart', () => {
    expect(resolveRange('2026-12-01', '2026-12-08', 'Pacific/Kiritimati', { now: NOW })).toEqual({
      from: '2026-12-01',
      to: '2026-12-08',
    });
    expect(resolveRange('2026-12-01', '2026-12-07', 'Pacific/Pago_Pago', { now: NOW })).toEqual({
      from: '2026-12-01',
      to: '2026-12-07',
    });
  });

  it.each([
    ['Pacific/Kiritimati', '2026-12-09'],
    ['Pacific/Pago_Pago', '2026-12-08'],
    ['UTC', '2026-12-08'],
  ])('when a range in %s ends on %s, after tomorrow, then it is refused naming `to`', (zone, to) => {
    const error = errorOf(() => resolveRange('2026-12-01', to, zone, { now: NOW }));
    expect(error?.code).toBe('validation_failed');
    expect(error?.details).toEqual([{ path: 'query.to', message: expect.stringContaining('tomorrow') }]);
  });

  it('when the range is in the year 9999, then it is refused at once', () => {
    const started = performance.now();
    const error = errorOf(() => resolveRange('9999-12-30', '9999-12-31', 'UTC', { now: NOW }));
    expect(error?.code).toBe('validation_failed');
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('when the range starts before 2000-01-01, then it is refused naming `from`; the first day of 2000 is accepted', () => {
    const error = errorOf(() => resolveRange('1999-12-31', '2000-01-02', 'UTC', { now: NOW }));
    expect(error?.code).toBe('validation_failed');
    expect(error?.details).toEqual([{ path: 'query.from', message: expect.stringContaining('2000-01-01') }]);
    expect(resolveRange('2000-01-01', '2000-01-02', 'UTC', { now: NOW })).toEqual({
      from: '2000-01-01',
      to: '2000-01-02',
    });
  });

  it('when the comparison range is out of the window, then the error names the comparison fields', () => {
    const error = errorOf(() =>
      resolveRange('1999-12-01', '1999-12-02', 'UTC', { now: NOW, fields: { from: 'compareFrom', to: 'compareTo' } }),
    );
    expect(error?.details).toEqual([{ path: 'query.compareFrom', message: expect.any(String) }]);
  });

  it('when the range covers more than 732 days, then it is refused; 732 are accepted', () => {
    expect(errorOf(() => resolveRange('2024-12-04', '2026-12-06', 'UTC', { now: NOW }))?.code).toBe(
      'validation_failed',
    );
    expect(resolveRange('2024-12-05', '2026-12-06', 'UTC', { now: NOW }).from).toBe('2024-12-05');
  });
});

describe('daysOf', () => {
  it('when the range crosses a year end, then every day is listed once, in order', () => {
    expect(daysOf({ from: '2026-12-30', to: '2027-01-02' })).toEqual([
      '2026-12-30',
      '2026-12-31',
      '2027-01-01',
      '2027-01-02',
    ]);
  });

  it('when the range ends on the last day of year 9999, then the loop stops there', () => {
    // Day strings after 9999 start with "+010000", which sorts before "9999": a string comparison never ends.
    expect(daysOf({ from: '9999-12-30', to: '9999-12-31' })).toEqual(['9999-12-30', '9999-12-31']);
  });
});
