import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { KestrelError } from '../../core/errors.ts';
import type { Instrument } from '../../core/instrument.ts';
import type { MarketDataSource } from '../../core/market-data.ts';
import {
  DEFAULT_API_KEY,
  DEFAULT_API_SECRET,
  defaultInstruments,
} from '../../emulators/binance-usdm/defaults.ts';
import { startBinanceUsdmEmulator } from '../../emulators/binance-usdm/emulator.ts';
import { defaultMarkets } from '../../emulators/bybit/defaults.ts';
import { startBybitEmulator } from '../../emulators/bybit/emulator.ts';
import { describeLighterEmulator, startLighterEmulator } from '../../emulators/lighter/emulator.ts';
import { symbolFromFileName } from '../../runtime/csv-reader.ts';
import { openDataFile } from '../../runtime/data-file.ts';
import { mergeSources } from '../../runtime/merge.ts';
import { createSyntheticMarket } from '../../runtime/synthetic-market.ts';
import { parseCommandLine, UsageError } from '../exit-codes.ts';
import type { Io } from '../io.ts';
import { EMULATE_USAGE } from '../usage.ts';

/** Runs `kestrel emulate` until Ctrl-C; returns the exit code */
export async function emulateCommand(
  argv: readonly string[],
  io: Io,
  until: Promise<void> = signaled(),
): Promise<number> {
  const parsed = parseCommandLine(
    argv,
    {
      port: { type: 'string' },
      data: { type: 'string', multiple: true },
      speed: { type: 'string' },
      seed: { type: 'string' },
      key: { type: 'string' },
      secret: { type: 'string' },
      'api-keys': { type: 'string' },
    },
    true,
  );
  const values = parsed.values;
  if (parsed.help) {
    io.stdout(EMULATE_USAGE);
    return 0;
  }
  const which = parsed.positionals[0];
  if (which !== 'binance-usdm' && which !== 'bybit' && which !== 'lighter')
    throw new UsageError(
      `emulate binance-usdm, bybit or lighter, got ${JSON.stringify(which ?? '')}`,
    );
  const port = values['port'] === undefined ? 0 : Number(values['port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a port number, got ${JSON.stringify(values['port'])}`);
  const speed = values['speed'] === undefined ? 1 : Number(values['speed']);
  if (!(speed > 0))
    throw new UsageError(`--speed must be positive, got ${JSON.stringify(values['speed'])}`);
  const seed = values['seed'] === undefined ? 1 : Number(values['seed']);
  if (!Number.isSafeInteger(seed))
    throw new UsageError(`--seed must be an integer, got ${JSON.stringify(values['seed'])}`);
  const files = ((values['data'] as string[] | undefined) ?? [])
    .flatMap((v) => v.split(','))
    .filter((v) => v.length > 0);

  const feedFor = (instruments: readonly Instrument[]): MarketDataSource => {
    if (files.length === 0) {
      return createSyntheticMarket({
        instruments,
        start: Date.now(),
        durationMs: 30 * 86_400_000,
        seed,
        quoteIntervalMs: 250,
        tradeIntervalMs: 500,
      });
    }
    const sources = files.map((file) => {
      const path = isAbsolute(file) ? file : resolve(io.cwd, file);
      if (!existsSync(path))
        throw new KestrelError('INVALID_DATA', `data file not found: ${path}`, {
          field: 'data',
          value: path,
        });
      return openDataFile({
        path,
        resolveInstrument: (symbol) => {
          const found = instruments.find(
            (i) =>
              i.symbol === symbol ||
              i.venueSymbol === symbol ||
              i.base === symbol.replace(/USDT?C?$/, ''),
          );
          if (found === undefined)
            throw new KestrelError(
              'INVALID_DATA',
              `${path}: the emulator lists no market ${symbolFromFileName(path)}`,
            );
          return found;
        },
      });
    });
    return mergeSources(sources);
  };

  let close: () => Promise<void>;
  if (which === 'binance-usdm') {
    const instruments = defaultInstruments();
    const apiKey = (values['key'] as string | undefined) ?? DEFAULT_API_KEY;
    const apiSecret = (values['secret'] as string | undefined) ?? DEFAULT_API_SECRET;
    const emulator = await startBinanceUsdmEmulator({
      port,
      apiKey,
      apiSecret,
      instruments,
      feed: feedFor(instruments),
      speed,
      seed,
    });
    io.stdout(
      `${[
        `binance-usdm emulator listening on ${emulator.url} (ws ${emulator.wsUrl})`,
        `accepts API key ${apiKey} with secret ${apiSecret} (local test credentials)`,
        `trade against it: kestrel run --venue binanceusdm --url ${emulator.url}`,
        `faults: POST ${emulator.url}/_kestrel/faults/<operation> (see src/emulators/binance-usdm/README.md)`,
      ].join('\n')}\n`,
    );
    close = () => emulator.close();
  } else if (which === 'bybit') {
    const markets = defaultMarkets();
    const apiKey = (values['key'] as string | undefined) ?? DEFAULT_API_KEY;
    const apiSecret = (values['secret'] as string | undefined) ?? DEFAULT_API_SECRET;
    const emulator = await startBybitEmulator({
      port,
      apiKey,
      apiSecret,
      markets,
      feed: feedFor(markets.map((m) => m.instrument)),
      speed,
      seed,
    });
    io.stdout(
      `${[
        `bybit emulator listening on ${emulator.url} (ws ${emulator.wsUrl}/v5/public/linear, ${emulator.wsUrl}/v5/private)`,
        `accepts API key ${apiKey} with secret ${apiSecret} (local test credentials)`,
        `trade against it: kestrel run --venue bybit --url ${emulator.url}`,
        `faults: POST ${emulator.url}/_kestrel/faults/<operation> (see src/emulators/bybit/README.md)`,
      ].join('\n')}\n`,
    );
    close = () => emulator.close();
  } else {
    const keys = apiKeyIndexes(values['api-keys'] as string | undefined);
    const probe = await startLighterEmulator({ port: 0 });
    const instruments = probe.venue.listInstruments();
    await probe.close();
    const emulator = await startLighterEmulator({
      port,
      feed: feedFor(instruments),
      speed,
      seed,
      ...(keys === undefined
        ? {}
        : {
            apiKeyIndex: keys[0],
            apiKeys: keys.slice(1).map((apiKeyIndex) => ({ apiKeyIndex })),
          }),
    });
    io.stdout(
      `${describeLighterEmulator(emulator).join('\n')}\ntrade against it: kestrel run --venue lighter --url ${emulator.url}\n`,
    );
    close = () => emulator.close();
  }
  await until;
  await close();
  return 0;
}

/**
 * The API key indexes of `--api-keys 3,4,5`: integers in 0..254, each once.
 * @throws UsageError naming the value
 */
function apiKeyIndexes(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(',').map((part) => part.trim());
  const indexes = parts.map(Number);
  indexes.forEach((index, i) => {
    if (parts[i] === '' || !Number.isInteger(index) || index < 0 || index > 254)
      throw new UsageError(
        `--api-keys must list API key indexes in 0..254, got ${JSON.stringify(parts[i])}`,
      );
    if (indexes.indexOf(index) !== i) throw new UsageError(`--api-keys lists ${index} twice`);
  });
  return indexes;
}

function signaled(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
