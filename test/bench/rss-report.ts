/**
 * Preloaded into a CLI run by the memory benchmark (`node --import …/rss-report.js bin/serial-flash …`):
 * reports the process's peak resident set size on stderr as it exits.
 */
if (!process.env.NODE_TEST_CONTEXT) {
  process.on('exit', () => {
    process.stderr.write(`\nserial-flash-bench maxRSS ${process.resourceUsage().maxRSS}\n`);
  });
}
