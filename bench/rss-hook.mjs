// Preloaded into a measured node child (`node --import bench/rss-hook.mjs …`) when GNU
// time is missing: at exit, writes the process's own peak RSS and CPU times to
// $TB_BENCH_RSS_FILE. resourceUsage().maxRSS is in KiB, like GNU time's.
import fs from 'node:fs';
import process from 'node:process';

const file = process.env.TB_BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    fs.writeFileSync(file, JSON.stringify({ maxRSS: u.maxRSS, userCPUTime: u.userCPUTime, systemCPUTime: u.systemCPUTime }));
  });
}
