/** A process that opens a journal for writing, says `ready`, and holds it until it is killed */
import { SqliteJournal } from '../../src/journal/sqlite-journal.ts';

const path = process.argv[2];
if (path === undefined) throw new Error('usage: journal-writer-child.ts FILE');
const journal = new SqliteJournal({ path, identity: { exchange: 'TEST', account: 'acct-1' } });
journal.append({
  type: 'balanceUpdated',
  exchange: 'TEST',
  balances: [{ currency: 'USDT', total: 1, free: 1, locked: 0 }],
  time: 0,
});
await journal.durable();
process.stdout.write('ready\n');
setInterval(() => {}, 60_000);
