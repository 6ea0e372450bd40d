import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { storeContract } from './store-contract.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'vc-store-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let files = 0;

storeContract('sqlite', async (now) => openSqliteStore(path.join(tmp, `store-${(files += 1)}.db`), now));
