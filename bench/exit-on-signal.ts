// Preloaded (`node --import`) into processes the bench profiles with `--cpu-prof`: V8 writes the profile
// only on a normal exit, so SIGTERM/SIGINT exit the process with code 0 instead of killing it.

for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(0));
