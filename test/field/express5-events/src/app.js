import express from 'express';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const routesDir = fileURLToPath(new URL('./routes/', import.meta.url));

/** Mount points for the route modules that are not mounted at their file name. */
const MOUNTS = { attendees: '/events/:eventId/attendees' };

export async function createApp() {
  const app = express();
  app.use(express.json());

  app.get('/status', (req, res) => res.json({ ok: true, uptime: process.uptime() }));

  for (const file of (await readdir(routesDir)).sort()) {
    if (!file.endsWith('.js')) continue;
    const name = file.replace(/\.js$/, '');
    const { default: router } = await import(`./routes/${file}`);
    app.use(MOUNTS[name] ?? `/${name}`, router);
  }

  // Errors end here: one line in the log, a JSON body for the client.
  app.use((err, req, res, next) => {
    console.error(`[events] ${req.method} ${req.originalUrl} failed: ${err.message}`);
    res.status(err.status ?? 500).json({ error: 'internal error' });
  });
  return app;
}
