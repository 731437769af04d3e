import { duplicateKeyIndexes, isDatabaseUnavailable, isDuplicateKey } from './db-errors';

/** Database failures as the MongoDB driver reports them, on either engine. */

const named = (name: string) => Object.assign(new Error('x'), { name });
const bulk = (...codes: number[]) =>
  Object.assign(named('MongoBulkWriteError'), {
    writeErrors: codes.map((code, index) => ({ code, index: index * 2 })),
  });

describe('isDuplicateKey', () => {
  it.each([
    ['a single write refused for its key', Object.assign(named('MongoServerError'), { code: 11000 }), true],
    ['a bulk write whose every error is a key', bulk(11000, 11000), true],
    ['a bulk write with one other error', bulk(11000, 121), false],
    [
      'a bulk write listing one error as an object',
      Object.assign(named('MongoBulkWriteError'), { writeErrors: { code: 11000 } }),
      true,
    ],
    ['a validation failure', Object.assign(named('MongoServerError'), { code: 121 }), false],
    [
      'an update clashing with a unique index on FerretDB',
      Object.assign(named('MongoServerError'), { code: 1, message: 'UNIQUE constraint failed: accounts.email' }),
      true,
    ],
    ['a lost connection', named('MongoNetworkError'), false],
    ['not an error at all', undefined, false],
  ])('%s: %s', (_case, error, expected) => {
    expect(isDuplicateKey(error)).toBe(expected);
  });
});

describe('duplicateKeyIndexes', () => {
  it('when every error is a key, then their indexes', () => {
    expect(duplicateKeyIndexes(bulk(11000, 11000, 11000))).toEqual([0, 2, 4]);
  });

  it.each([
    ['another error among them', bulk(11000, 2)],
    ['a bulk error listing none (a lost connection)', named('MongoBulkWriteError')],
    ['a network error', named('MongoNetworkError')],
  ])('when %s, then it is rethrown', (_case, error) => {
    expect(() => duplicateKeyIndexes(error)).toThrow(error);
  });
});

describe('isDatabaseUnavailable', () => {
  it.each([
    ['MongoServerSelectionError', true],
    ['MongooseServerSelectionError', true],
    ['MongoNetworkError', true],
    ['MongoNetworkTimeoutError', true],
    ['MongoNotConnectedError', true],
    ['MongoTopologyClosedError', true],
    ['MongoOperationTimeoutError', true],
    ['MongoPoolClearedError', true],
    ['MongoServerClosedError', true],
    ['MongoServerError', false],
    ['ValidationError', false],
    ['TypeError', false],
  ])('%s: %s', (name, expected) => {
    expect(isDatabaseUnavailable(named(name))).toBe(expected);
  });

  it.each([
    ['a bulk insert that lost its connection (no document refused)', named('MongoBulkWriteError'), true],
    ['a bulk insert with refused documents', bulk(11000), false],
    [
      'an error caused by a lost connection',
      Object.assign(named('Error'), { cause: named('MongoNetworkError') }),
      true,
    ],
  ])('%s: %s', (_case, error, expected) => {
    expect(isDatabaseUnavailable(error)).toBe(expected);
  });
});
