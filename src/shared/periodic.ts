/**
 * Background work a server repeats: `run` every `intervalMs` (never when 0), never two runs at once (a tick
 * that finds one under way is skipped), the first one interval after start. A failed run is handed to
 * `failed` and the next tick tries again. `stop` ends the timer and waits for a run under way.
 */
export function startPeriodic(
  intervalMs: number,
  run: () => Promise<void>,
  failed: (error: unknown) => void,
): { stop(): Promise<void> } {
  if (!intervalMs) return { stop: async () => undefined };
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = run()
      .catch(failed)
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
