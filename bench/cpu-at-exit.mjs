// Loaded with --import into a process the startup benchmark spawns: prints the CPU time the
// process used (user + system, ms) on stderr as it exits, so figures stay honest on a busy machine
process.on('exit', () => {
  const { user, system } = process.cpuUsage();
  process.stderr.write(`kestrel-bench: cpu ${((user + system) / 1000).toFixed(1)} ms\n`);
});
