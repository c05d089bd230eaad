/**
 * The startup benchmark's strategy: says on stderr when the first market event reaches a
 * strategy, then ends the process (the rest of the run is not what is measured)
 */
const first = () => {
  process.stderr.write('kestrel-bench: first market event\n');
  process.exit(0);
};

export default { name: 'first-event', onQuote: first, onTrade: first };
