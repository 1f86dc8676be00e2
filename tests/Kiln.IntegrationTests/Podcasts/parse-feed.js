// Parses an RSS feed from stdin with podcast-partytime (the Podcast Index parser) and prints what it understood.
const { parseFeed } = require('podcast-partytime');
let xml = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => (xml += c));
process.stdin.on('end', () => {
  const feed = parseFeed(xml, { allowMissingGuid: false });
  if (!feed) {
    console.log(JSON.stringify({ error: 'not a feed' }));
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(feed, (k, v) => (v instanceof Date ? v.toISOString() : v)));
});
