import '@testing-library/jest-dom/vitest';
import './pageRequest';
import { afterEach } from 'vitest';
import { resetSession } from '../api/session';

// The session lives in module state (as it does in a page): start every test as on a fresh
// page load, with no session and no refresh under way.
afterEach(() => resetSession());
