import { createServer, type Server } from 'node:http'
import type { FastifyInstance } from 'fastify'
import { AggregatorRegistry, Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { Db } from './store/db.js'
import { queueStats } from './store/webhook-queue.js'

/** Where /metrics is served: its own listener, never the public port. */
export interface MetricsListen {
  host: string
  port: number
}

/**
 * The process's Prometheus metrics. Counters and histograms are per process (summed across workers);
 * the gauges read from the database are the same in every worker, so workers' values are not summed.
 */
export class Metrics {
  readonly registry = new Registry()
  readonly identifications: Counter<'path' | 'bot'>
  /** null in a process that does not send webhooks (a worker of `--workers N`: the primary sends them). */
  readonly webhookAttempts: Counter<'outcome'> | null
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>

  constructor(db: Db, opts: { dispatches: boolean } = { dispatches: true }) {
    const registers = [this.registry]
    collectDefaultMetrics({ register: this.registry })
    this.identifications = new Counter({
      name: 'sightline_identifications_total',
      help: 'Identifications answered, by how the visitor was found (storedId, fingerprint, fuzzy, new) and bot verdict',
      labelNames: ['path', 'bot'],
      registers,
    })
    this.httpDuration = new Histogram({
      name: 'sightline_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route (the pattern, not the URL) and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    })
    this.webhookAttempts = opts.dispatches ? webhookAttemptsCounter(this.registry) : null
    const queue = { at: 0, depth: 0, oldest: 0, failed: 0 }
    const readQueue = async () => {
      // One query per scrape, shared by the three gauges below.
      if (Date.now() - queue.at < 1000) return queue
      const rows = await queueStats(db.kysely)
      const pending = rows.find((r) => r.status === 'pending')
      queue.at = Date.now()
      queue.depth = Number(pending?.n ?? 0)
      queue.oldest = pending?.oldest ? Math.max(0, Date.now() / 1000 - Number(pending.oldest) / 1e6) : 0
      queue.failed = Number(rows.find((r) => r.status === 'failed')?.n ?? 0)
      return queue
    }
    new Gauge({
      name: 'sightline_webhook_queue_depth',
      help: 'Webhook deliveries waiting to be sent (pending)',
      aggregator: 'max',
      registers,
      async collect() {
        this.set((await readQueue()).depth)
      },
    })
    new Gauge({
      name: 'sightline_webhook_queue_oldest_age_seconds',
      help: 'Age of the oldest pending webhook delivery (its event time); 0 when none is pending',
      aggregator: 'max',
      registers,
      async collect() {
        this.set((await readQueue()).oldest)
      },
    })
    new Gauge({
      name: 'sightline_webhook_failed_deliveries',
      help: 'Webhook deliveries given up on and still kept (they are forgotten after 30 days)',
      aggregator: 'max',
      registers,
      async collect() {
        this.set((await readQueue()).failed)
      },
    })
    new Counter({
      name: 'sightline_db_errors_total',
      help: 'Database queries that failed',
      registers,
      collect() {
        this.reset()
        this.inc(db.stats().errors)
      },
    })
    const pool = new Gauge({
      name: 'sightline_db_pool_connections',
      help: 'PostgreSQL pool connections of this process by state: total, idle, waiting (requests queued for one)',
      labelNames: ['state'],
      registers,
      collect() {
        const p = db.stats().pool
        if (!p) return
        pool.set({ state: 'total' }, p.total)
        pool.set({ state: 'idle' }, p.idle)
        pool.set({ state: 'waiting' }, p.waiting)
      },
    })
  }

  /** Times every request under its route pattern (unmatched ones as "unmatched": no unbounded labels). */
  instrument(app: FastifyInstance) {
    app.addHook('onResponse', async (req, reply) => {
      this.httpDuration.observe(
        { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      )
    })
  }
}

/**
 * Serves GET /metrics on its own address. `render` gives the exposition text: this process's registry,
 * or, in the primary of `--workers N`, every worker's aggregated.
 */
export function serveMetrics(
  at: MetricsListen,
  render: () => Promise<{ contentType: string; body: string }>,
): Promise<Server & { url: string }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: GET /metrics\n')
      return
    }
    render().then(
      ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
      (err: Error) =>
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${err.message}\n`),
    )
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(at.port, at.host, () => {
      const addr = server.address()
      const port = typeof addr === 'object' && addr ? addr.port : at.port
      const host = at.host.includes(':') ? `[${at.host}]` : at.host
      resolve(Object.assign(server, { url: `http://${host}:${port}/metrics` }))
    })
  })
}

/** In a worker of `--workers N`: answer the primary's requests for this registry. */
export function shareWithPrimary(registry: Registry) {
  new AggregatorRegistry() // installs the worker's message listener
  AggregatorRegistry.setRegistries([registry])
}

export function webhookAttemptsCounter(registry: Registry): Counter<'outcome'> {
  return new Counter({
    name: 'sightline_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome: delivered, retry (failed, tried again later), failed (given up)',
    labelNames: ['outcome'],
    registers: [registry],
  })
}

/**
 * In the primary of `--workers N`: every worker's metrics, aggregated, followed by the primary's own
 * (its webhook dispatcher's attempts), which no worker has.
 */
export function clusterRender(own?: Registry): () => Promise<{ contentType: string; body: string }> {
  const aggregator = new AggregatorRegistry()
  return async () => {
    const body = await aggregator.clusterMetrics()
    return { contentType: aggregator.contentType, body: own ? `${body}\n${await own.metrics()}` : body }
  }
}
