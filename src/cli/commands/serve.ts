// `inferd serve`: argv → ServeConfig → startServer (src/serve/server.ts, the composition root). This file
// owns only what a terminal needs: --help, usage errors, the live progress line, the listening line and the
// signals that stop the server.

import { loadServeConfig, type ServeConfig } from '../../config.js';
import { InferdError, messageOf } from '../../errors.js';
import { createLogger } from '../../log.js';
import { type RunningServer, startServer } from '../../serve/server.js';
import { commandHelp } from '../help.js';
import { ProgressLine } from '../progress-line.js';

export async function runServe(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(commandHelp('serve'));
    return 0;
  }
  let config: Readonly<ServeConfig>;
  try {
    config = loadServeConfig(argv, process.env);
  } catch (err) {
    process.stderr.write(
      `error: ${messageOf(err)}\n${err instanceof InferdError ? '' : '\n'}See 'inferd serve --help'.\n`,
    );
    return 2;
  }
  // A terminal gets a live download line; log records are written above it. Pipes and files get neither.
  const progressLine = process.stderr.isTTY ? new ProgressLine(process.stderr) : undefined;
  const log = createLogger({
    level: config.logLevel,
    write: progressLine ? (line) => progressLine.write(line) : undefined,
  });
  let running: RunningServer;
  try {
    running = await startServer(config, log, { progressLine });
  } catch (err) {
    process.stderr.write(`error: ${messageOf(err)}\n`);
    return 1;
  }
  if (config.anonymousOnNetwork) {
    process.stderr.write(
      `warning: --insecure-allow-anonymous: ${config.host}:${running.port} is open to the network without authentication; anyone who reaches it can apply, delete and call everything\n`,
    );
  }
  const shownHost = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  process.stdout.write(
    `inferd listening on ${running.scheme}://${shownHost}:${running.port} (state: ${config.stateDir}${config.auth ? ', auth: on' : ''})\n`,
  );
  // kill -HUP: new certificate files for new connections; a bad file keeps the old ones (logged).
  const onHup = () => {
    try {
      running.reloadTls?.();
    } catch (err) {
      log.error('tls reload failed; the previous certificate stays in use', { error: messageOf(err) });
    }
  };
  if (running.reloadTls) process.on('SIGHUP', onHup);
  return new Promise<number>((resolveExit) => {
    let closing = false;
    const shutdown = (signal: string) => {
      if (closing) return;
      closing = true;
      log.info('shutting down', { signal });
      process.off('SIGHUP', onHup);
      running.close().then(
        () => resolveExit(0),
        (err) => {
          log.error('shutdown failed', { error: messageOf(err) });
          resolveExit(1);
        },
      );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
}
