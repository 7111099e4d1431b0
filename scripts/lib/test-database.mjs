// The database `npm test` uses: the configured one's name with `_test` appended, on the same
// server. Tests create analyses, keys and batches by the hundred; they must never show up in
// the listings, metrics and UI of the instance `npm start` serves. `npm run setup` creates and
// migrates it beside the main database.

/** `postgresql://u:p@h:5432/vetbox?x=1` → `postgresql://u:p@h:5432/vetbox_test?x=1` (unchanged if it already ends in _test). */
export function testDatabaseUrl(databaseUrl) {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new Error(`DATABASE_URL names no database: ${databaseUrl}`);
  if (!name.endsWith('_test')) url.pathname = `/${encodeURIComponent(`${name}_test`)}`;
  return url.toString();
}
