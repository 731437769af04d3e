import '@testing-library/jest-dom';

// A Notice also announces its text through @wordpress/a11y's live region, a moment
// after it renders, so a query by text would sometimes find it twice. Tests check
// what is on screen; the announcement itself is WordPress's concern.
jest.mock('@wordpress/a11y', () => ({ ...jest.requireActual('@wordpress/a11y'), speak: jest.fn() }));
